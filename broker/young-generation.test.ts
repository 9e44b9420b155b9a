import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/** In a fresh process (the test runner's own young generation has long grown): new space sizes in bytes. */
function newSpaceSizes(): { initial: number; held: number; released: number } {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8'
    import { holdYoungGeneration, releaseYoungGeneration } from './broker/young-generation.ts'
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size
    // Objects that survive scavenges, as modules and schemas do at start-up: what makes V8 grow the young generation.
    const kept = []
    const allocate = () => { for (let i = 0; i < 400_000; i++) kept.push({ i, s: String(i) }) }
    const initial = newSpace()
    holdYoungGeneration()
    allocate()
    const held = newSpace()
    releaseYoungGeneration()
    allocate()
    process.stdout.write(JSON.stringify({ initial, held, released: newSpace() }) + '\\n')
  `
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  expect(run.status, run.stderr).toBe(0)
  return JSON.parse(run.stdout.trim()) as { initial: number; held: number; released: number }
}

it('keeps the young generation at its initial size while held, and lets it grow again once released', () => {
  const { initial, held, released } = newSpaceSizes()
  expect(held).toBe(initial)
  expect(released).toBeGreaterThan(held)
})
