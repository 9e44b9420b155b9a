/** The Worker entry: the same app as the home node, here on in-memory ports (the edge link comes with issue 5). */
import { createApp } from '../src/app.js'
import { sha256Hex } from '../src/util/bytes.js'
import { createMetrics } from '../src/metrics.js'
import type { Deps } from '../src/ports.js'
import { MemoryBus } from '../src/testing/memory-bus.js'
import { MemoryTokenStore } from '../src/testing/memory-token-store.js'

export interface Env {
  POSTBRIDGE_ADMIN_TOKEN?: string
  POSTBRIDGE_MAX_PAYLOAD_BYTES?: string
}

const consoleLog = {
  debug: (o: object, m?: string) => console.debug(m ?? '', o),
  info: (o: object, m?: string) => console.info(m ?? '', o),
  warn: (o: object, m?: string) => console.warn(m ?? '', o),
  error: (o: object, m?: string) => console.error(m ?? '', o),
}

// One isolate keeps these between requests; the durable edge state arrives with the Durable Object.
const bus = new MemoryBus()
const tokens = new MemoryTokenStore()
const metrics = createMetrics()
let app: ReturnType<typeof createApp> | undefined
let appFor: string | undefined

async function appFor_(env: Env, ctx: ExecutionContext) {
  const adminHash = env.POSTBRIDGE_ADMIN_TOKEN ? await sha256Hex(env.POSTBRIDGE_ADMIN_TOKEN) : undefined
  if (!app || appFor !== adminHash) {
    const deps: Deps = {
      bus,
      tokens,
      now: () => Date.now(),
      defer: (task) => ctx.waitUntil(task),
      log: consoleLog,
      metrics,
      limits: {
        maxPayloadBytes: Number(env.POSTBRIDGE_MAX_PAYLOAD_BYTES ?? 262144),
        maxRequestTimeoutMs: 30_000,
        defaultRequestTimeoutMs: 5000,
        maxBulk: 1000,
      },
    }
    app = createApp(() => deps, adminHash ? { envAdminHash: adminHash } : {})
    appFor = adminHash
  }
  return app
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return (await appFor_(env, ctx)).fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Env>
