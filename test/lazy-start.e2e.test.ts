/** What a home node loads at start: modules only some installations use wait until they are used (issue 12). */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Starts a home node in a fresh process on ephemeral ports, runs `body` there (with `home` and its `dataDir`
 * bound, and the imports it names), and returns the JSON line the body printed.
 */
function inFreshNode<T>(imports: string, body: string): T {
  const dataDir = mkdtempSync(join(tmpdir(), 'postbridge-lazy-'))
  try {
    const script = `
      ${imports}
      import { parseConfig } from './src/config.ts'
      import { startHome } from './broker/home.ts'
      import { createLogger } from './broker/logger.ts'
      const config = parseConfig({ host: '127.0.0.1', dataDir: ${JSON.stringify(dataDir)}, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 } }, { POSTBRIDGE_ADMIN_TOKEN: 'lazy-start-admin-token-0123456789abcdef' })
      const home = await startHome(config, createLogger('warn'))
      ${body}
      await home.close()
      process.exit(0)
    `
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.status, run.stderr).toBe(0)
    const line = run.stdout.split('\n').find((l) => l.startsWith('{') || l.startsWith('['))
    expect(line, run.stdout).toBeDefined()
    return JSON.parse(line ?? 'null') as T
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The packages a home node has loaded once it is ready. */
function packagesLoadedAtStart(): string[] {
  const files = inFreshNode<string[]>(
    "import { createRequire } from 'node:module'",
    "process.stdout.write(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)) + '\\n')",
  )
  return [...new Set(files.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]).filter((p): p is string => p !== undefined))]
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
  // node:http for the requests: fetch in this process would load undici itself.
  const result = inFreshNode<{ atStart: string[]; afterRequest: string[]; statuses: number[] }>(
    "import { get } from 'node:http'",
    `
      const loaded = () => process.moduleLoadList.filter((m) => /undici|http2/.test(m))
      const atStart = loaded()
      const health = () => new Promise((resolve, reject) => get(home.httpUrl + '/v1/health', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)) }).on('error', reject))
      // Several at once: those that come while the adapter loads wait for it.
      const statuses = await Promise.all([health(), health(), health(), health()])
      process.stdout.write(JSON.stringify({ atStart, afterRequest: loaded(), statuses }) + '\\n')
    `,
  )
  expect(result.atStart).toEqual([])
  expect(result.afterRequest).toContain('NativeModule internal/deps/undici/undici') // the check is real: a request loads it
  expect(result.statuses).toEqual([200, 200, 200, 200])
}, 90_000)

it('does not build the HTTP API (its routes, Hono, the OpenAPI extension of zod) until the first HTTP request', () => {
  // @hono/zod-openapi extends zod's schemas with .openapi() when it loads: visible from here, on the same zod.
  const result = inFreshNode<{ atStart: boolean; afterRequest: boolean; status: number }>(
    "import { get } from 'node:http'\nimport { z } from 'zod'",
    `
      const extended = () => typeof z.string().openapi === 'function'
      const atStart = extended()
      const status = await new Promise((resolve, reject) => get(home.httpUrl + '/v1/health', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)) }).on('error', reject))
      process.stdout.write(JSON.stringify({ atStart, afterRequest: extended(), status }) + '\\n')
    `,
  )
  expect(result).toEqual({ atStart: false, afterRequest: true, status: 200 })
}, 90_000)
