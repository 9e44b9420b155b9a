/** An app built on fakes, with an admin token and a helper to mint scoped tokens. */
import { createApp, type AppOptions } from '../app.js'
import { issueToken } from '../auth/token.js'
import { createMetrics } from '../metrics.js'
import type { Scope } from '../ports/types.js'
import type { Deps } from '../ports/deps.js'
import type { AppBindings } from '../routes/env.js'
import { MemoryBus } from './memory-bus.js'
import { MemoryTokenStore } from './memory-token-store.js'
import { RecordingLogger } from './recording-logger.js'

export async function createTestApp(overrides: Partial<Deps> = {}, options: AppOptions = {}) {
  const bus = new MemoryBus()
  const tokens = new MemoryTokenStore()
  const log = new RecordingLogger()
  const deps: Deps = {
    bus,
    tokens,
    now: () => Date.now(),
    defer: () => {},
    log,
    metrics: createMetrics(),
    limits: { maxPayloadBytes: 1024, maxRequestTimeoutMs: 2000, defaultRequestTimeoutMs: 500, maxBulk: 10 },
    ...overrides,
  }
  const app = createApp(() => deps, options)
  const mint = async (scope: Partial<Scope>, name = 'test') => {
    const { token, record } = await issueToken(name, { publish: [], read: [], admin: false, ...scope }, Date.now())
    await tokens.create(record)
    return token
  }
  const admin = await mint({ admin: true, publish: ['#'], read: ['#'] }, 'admin')
  /** `env` is what the runtime hands the app beside the request (AppBindings). */
  const call = (path: string, init: RequestInit & { token?: string | null; env?: AppBindings } = {}) => {
    const { token: given, env, ...rest } = init
    const headers = new Headers(rest.headers)
    const token = given === undefined ? admin : given
    if (token) headers.set('authorization', `Bearer ${token}`)
    return app.request(path, { ...rest, headers }, env)
  }
  return { app, deps, bus, tokens, log, admin, mint, call }
}
