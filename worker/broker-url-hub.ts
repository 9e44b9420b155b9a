/**
 * The Durable Object of the BROKER_URL mode: it holds the MQTT connections to the user's public broker and runs the
 * same API app as the home node on a Bus over them. One object (named like the link's) serves every request, so the
 * connections are opened once and reused until the object is evicted.
 */
import { DurableObject } from 'cloudflare:workers'
import { createApp } from '../src/app.js'
import { ConfigError } from '../src/config.js'
import { errEdgeMisconfigured } from '../src/errors.js'
import { edgeApiLimits, parseEdgeSettings, type EdgeSettings } from '../src/link/edge-settings.js'
import { LINK_PATH } from '../src/link/protocol.js'
import { createMetrics } from '../src/metrics.js'
import type { TokenStore } from '../src/ports/token-store.js'
import type { Logger } from '../src/ports/logger.js'
import type { Deps } from '../src/ports/deps.js'
import { sha256Hex } from '../src/util/bytes.js'
import { BrokerUrlBus } from './broker-url-bus.js'
import { parseBrokerUrl } from './broker-url.js'
import type { Env } from './env.js'
import { consoleLogger } from './log.js'
import { DurableTokenStore } from './token-store.js'


export class BrokerHub extends DurableObject<Env> {
  readonly bus: BrokerUrlBus
  private readonly settings: EdgeSettings | ConfigError
  private app: ReturnType<typeof createApp> | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.settings = settingsOrError(env)
    this.bus = new BrokerUrlBus(parseBrokerUrl(env), { log: consoleLogger, newId: () => crypto.randomUUID() })
  }

  override async fetch(request: Request): Promise<Response> {
    if (this.settings instanceof ConfigError) {
      consoleLogger.error({ problems: this.settings.problems }, 'edge: bad configuration')
      const problem = errEdgeMisconfigured.with(this.settings.problems.join('; '))
      return new Response(JSON.stringify(problem.toProblem()), { status: problem.status, headers: { 'content-type': 'application/problem+json' } })
    }
    // No home node links in this mode; say so instead of answering the upgrade with a 404.
    if (new URL(request.url).pathname === LINK_PATH) return new Response('BROKER_URL is set: this Worker talks to the broker directly and takes no link\n', { status: 409 })
    // The first request after a (re)start waits for the connections (bounded), so it is not refused while they open.
    await this.bus.start()
    if (!this.app) {
      const adminHash = this.settings.adminToken ? await sha256Hex(this.settings.adminToken) : undefined
      this.app ??= createBrokerUrlApp({ bus: this.bus, tokens: new DurableTokenStore(this.ctx.storage), settings: this.settings, log: consoleLogger, defer: (t) => this.ctx.waitUntil(t), adminHash })
    }
    return this.app.fetch(request)
  }
}

/** The API app over a BrokerUrlBus; a bad BROKER_URL shows as `error` on /v1/health and a 503 on every publish. */
export function createBrokerUrlApp(options: {
  bus: BrokerUrlBus
  tokens: TokenStore
  settings: Pick<EdgeSettings, 'maxPayloadBytes'>
  log: Logger
  defer(task: Promise<unknown>): void
  adminHash?: string | undefined
}): ReturnType<typeof createApp> {
  const { bus } = options
  const deps: Deps = {
    bus,
    tokens: options.tokens,
    now: () => Date.now(),
    defer: options.defer,
    log: options.log,
    metrics: createMetrics(),
    limits: edgeApiLimits(options.settings),
    health: () => {
      const error = bus.status().detail?.error
      return { mode: 'broker-url', ...(typeof error === 'string' ? { error } : {}) }
    },
  }
  return createApp(() => deps, options.adminHash ? { envAdminHash: options.adminHash } : {})
}

function settingsOrError(env: Env): EdgeSettings | ConfigError {
  try {
    return parseEdgeSettings(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
}
