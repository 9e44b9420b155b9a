/** What a home node loads at start: modules only some installations use wait until they are used (issue 12). */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Starts the home node in a fresh process on ephemeral ports, and lists the packages loaded once it is ready. */
function packagesLoadedAtStart(): string[] {
  const dataDir = mkdtempSync(join(tmpdir(), 'postbridge-lazy-'))
  try {
    const script = `
      import { createRequire } from 'node:module'
      import { parseConfig } from './src/config.ts'
      import { startHome } from './broker/home.ts'
      import { createLogger } from './broker/logger.ts'
      const config = parseConfig({ host: '127.0.0.1', dataDir: ${JSON.stringify(dataDir)}, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 } }, { POSTBRIDGE_ADMIN_TOKEN: 'lazy-start-admin-token-0123456789abcdef' })
      const home = await startHome(config, createLogger('warn'))
      const cache = createRequire(import.meta.url).cache
      process.stdout.write(JSON.stringify(Object.keys(cache)) + '\\n')
      await home.close()
      process.exit(0)
    `
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const files = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('['))!) as string[]
    return [...new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => p !== undefined))]
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

it('does not load ws or mqtt.js at start when no WebSocket client, edge link or external broker is in use', () => {
  const loaded = packagesLoadedAtStart()
  expect(loaded).toContain('better-sqlite3') // the list is real: the home node's own CommonJS packages are there
  expect(loaded).not.toContain('ws')
  expect(loaded).not.toContain('mqtt')
}, 90_000)

it('does not load the YAML parser at start when no config file is read, nor its writer before /openapi.yaml is asked for', () => {
  const loaded = packagesLoadedAtStart()
  expect(loaded).toContain('better-sqlite3')
  expect(loaded).not.toContain('yaml')
}, 90_000)

it("does not load Node's fetch implementation (undici) or http2 until the first HTTP request, then answers every request", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'postbridge-lazy-'))
  try {
    // node:http for the requests: fetch in this process would load undici itself.
    const script = `
      import { get } from 'node:http'
      import { parseConfig } from './src/config.ts'
      import { startHome } from './broker/home.ts'
      import { createLogger } from './broker/logger.ts'
      const config = parseConfig({ host: '127.0.0.1', dataDir: ${JSON.stringify(dataDir)}, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 } }, { POSTBRIDGE_ADMIN_TOKEN: 'lazy-start-admin-token-0123456789abcdef' })
      const home = await startHome(config, createLogger('warn'))
      const loaded = () => process.moduleLoadList.filter((m) => /undici|http2/.test(m))
      const atStart = loaded()
      const health = () => new Promise((resolve, reject) => get(home.httpUrl + '/v1/health', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)) }).on('error', reject))
      // Several at once: those that come while the adapter loads wait for it.
      const statuses = await Promise.all([health(), health(), health(), health()])
      process.stdout.write(JSON.stringify({ atStart, afterRequest: loaded(), statuses }) + '\\n')
      await home.close()
      process.exit(0)
    `
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const result = JSON.parse(run.stdout.split('\n').find((l) => l.startsWith('{'))!) as {
      atStart: string[]
      afterRequest: string[]
      statuses: number[]
    }
    expect(result.atStart).toEqual([])
    expect(result.afterRequest).toContain('NativeModule internal/deps/undici/undici') // the check is real: a request loads it
    expect(result.statuses).toEqual([200, 200, 200, 200])
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}, 90_000)
