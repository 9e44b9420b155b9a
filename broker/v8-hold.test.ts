import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { userChoseCompilers } from './v8-hold.js'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Runs `script` (ES module source, run by tsx from the project's root) in a fresh node; returns its last stdout line as JSON. */
function inFreshNode<T>(script: string, nodeArgs: string[] = []): T {
  const run = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  expect(run.status, run.stderr).toBe(0)
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as T
}

describe('the young generation', () => {
  it('stays at its initial size while held, and grows again once released', () => {
    const { initial, held, released } = inFreshNode<{ initial: number; held: number; released: number }>(`
      import { getHeapSpaceStatistics } from 'node:v8'
      import { holdDuringStartUp, releaseAfterStartUp } from './broker/v8-hold.ts'
      const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
      // Objects that survive scavenges, as modules and schemas do at start-up: what makes V8 grow the young generation.
      const kept = []
      const allocate = () => { for (let i = 0; i < 400_000; i++) kept.push({ i, s: String(i) }) }
      const initial = newSpace()
      holdDuringStartUp()
      allocate()
      const held = newSpace()
      releaseAfterStartUp()
      allocate()
      process.stdout.write(JSON.stringify({ initial, held, released: newSpace() }) + '\\n')
    `)
    expect(held).toBe(initial)
    expect(released).toBeGreaterThan(held)
  })
})

/**
 * A hot function run in batches, a macrotask apart so that a concurrent optimisation can land: whether TurboFan
 * optimised it while held (after 200 batches), after the start-up release (200 more), and after the compiler's own
 * release (within 2 s). V8's %GetOptimizationStatus, bit 6: TurboFanned.
 */
const OPTIMISED_WHILE_HELD_AND_RELEASED = `
  import { holdDuringStartUp, isCompilerHeld, releaseAfterStartUp, releaseCompiler } from './broker/v8-hold.ts'
  const status = new Function('f', 'return %GetOptimizationStatus(f)')
  const turboFanned = (f) => (status(f) & (1 << 6)) !== 0
  const hot = (n) => { let s = 0; for (let i = 0; i < n; i++) s += (i * 31) % 7; return s }
  const tick = () => new Promise((r) => setImmediate(r))
  const batches = async (n) => { for (let i = 0; i < n; i++) { hot(10_000); await tick() } }
  holdDuringStartUp()
  const held = isCompilerHeld()
  await batches(200)
  const whileHeld = turboFanned(hot)
  releaseAfterStartUp()
  await batches(200)
  const afterStartUp = turboFanned(hot)
  releaseCompiler()
  const until = Date.now() + 2000
  while (!turboFanned(hot) && Date.now() < until) await batches(1)
  process.stdout.write(JSON.stringify({ held, whileHeld, afterStartUp, afterRelease: turboFanned(hot), heldAtEnd: isCompilerHeld() }) + '\\n')
`

type Optimised = { held: boolean; whileHeld: boolean; afterStartUp: boolean; afterRelease: boolean; heldAtEnd: boolean }

describe('the optimising compiler', () => {
  it('optimises nothing while held, also once start-up is over, and what is hot once released', () => {
    const result = inFreshNode<Optimised>(OPTIMISED_WHILE_HELD_AND_RELEASED, ['--allow-natives-syntax'])
    expect(result).toEqual({ held: true, whileHeld: false, afterStartUp: false, afterRelease: true, heldAtEnd: false })
  })

  it('stays as the user chose it: a node started with --no-opt is not held, and optimises nothing after release either', () => {
    const result = inFreshNode<Optimised>(OPTIMISED_WHILE_HELD_AND_RELEASED, ['--allow-natives-syntax', '--no-opt'])
    expect(result).toEqual({ held: false, whileHeld: false, afterStartUp: false, afterRelease: false, heldAtEnd: false })
  })

  it('takes the compiler flags from node arguments and NODE_OPTIONS, in either spelling', () => {
    expect(userChoseCompilers(['--no-opt'], undefined)).toBe(true)
    expect(userChoseCompilers([], '--max-old-space-size=100 --jitless')).toBe(true)
    expect(userChoseCompilers([], '--no_turbofan')).toBe(true)
    expect(userChoseCompilers(['--maglev'], '')).toBe(true)
    expect(userChoseCompilers(['--enable-source-maps', '--optimize-for-size'], '--max-old-space-size=100')).toBe(false)
    expect(userChoseCompilers([], undefined)).toBe(false)
  })
})
