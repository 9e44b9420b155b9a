/**
 * The Durable Object of the BROKER_URL mode: it holds the MQTT connections to the user's public broker and runs the
 * same API app as the home node on a Bus over them. One object (named like the link's) serves every request, so the
 * connections are opened once and reused until the object is evicted.
 */
import { DurableObject } from 'cloudflare:workers'
import { ConfigError } from '../../src/config.js'
import { parseEdgeSettings, type EdgeSettings } from '../../src/link/edge-settings.js'
import { LINK_PATH } from '../../src/link/protocol.js'
import { sha256Hex } from '../../src/util/bytes.js'
import { BrokerUrlBus } from './broker-url-bus.js'
import { createEdgeApp, type EdgeApp, type EdgeAppOptions } from '../edge-app.js'
import type { Env } from '../env.js'
import { consoleLogger } from '../log.js'
import { brokerTargetOrError, misconfigured, orConfigError } from '../settings.js'
import { DurableTokenStore } from '../stores/token-store.js'

export class BrokerHub extends DurableObject<Env> {
  readonly bus: BrokerUrlBus
  private readonly settings: EdgeSettings | ConfigError
  private app: EdgeApp | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.settings = orConfigError(() => parseEdgeSettings(env))
    this.bus = new BrokerUrlBus(brokerTargetOrError(env), { log: consoleLogger, newId: () => crypto.randomUUID() })
  }

  override async fetch(request: Request): Promise<Response> {
    if (this.settings instanceof ConfigError) return misconfigured(this.settings)
    // No home node links in this mode; say so instead of answering the upgrade with a 404.
    if (new URL(request.url).pathname === LINK_PATH)
      return new Response('BROKER_URL is set: this Worker talks to the broker directly and takes no link\n', { status: 409 })
    // The first request after a (re)start waits for the connections (bounded), so it is not refused while they open.
    await this.bus.start()
    if (!this.app) {
      const adminHash = this.settings.adminToken ? await sha256Hex(this.settings.adminToken) : undefined
      this.app ??= createBrokerUrlApp({
        bus: this.bus,
        tokens: new DurableTokenStore(this.ctx.storage),
        settings: this.settings,
        log: consoleLogger,
        defer: (t) => this.ctx.waitUntil(t),
        adminHash,
      })
    }
    return this.app.fetch(request)
  }
}

/** The API app over a BrokerUrlBus; a bad BROKER_URL shows as `error` on /v1/health and a 503 on every publish. */
export function createBrokerUrlApp(options: Omit<EdgeAppOptions, 'bus' | 'health' | 'now' | 'features'> & { bus: BrokerUrlBus }): EdgeApp {
  const { bus } = options
  return createEdgeApp({
    ...options,
    now: () => Date.now(),
    health: () => {
      const error = bus.status().detail?.error
      return { mode: 'broker-url', ...(typeof error === 'string' ? { error } : {}) }
    },
  })
}
