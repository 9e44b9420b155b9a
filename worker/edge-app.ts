/**
 * The API app of the edge, built in one place for both Durable Objects (LinkHub and BrokerHub): the same core app as
 * the home node, with the edge's token store, limits, log and admin token. Each mode adds only its bus, its health
 * facts and the features it has (webhooks, door sensors, alert buttons).
 */
import { createApp } from '../src/app.js'
import { edgeApiLimits, type EdgeSettings } from '../src/link/edge-settings.js'
import { createMetrics } from '../src/metrics.js'
import type { Bus } from '../src/ports/bus.js'
import type { Deps } from '../src/ports/deps.js'
import type { Logger } from '../src/ports/logger.js'
import type { TokenStore } from '../src/ports/token-store.js'

export type EdgeApp = ReturnType<typeof createApp>

export interface EdgeAppOptions {
  bus: Bus
  tokens: TokenStore
  settings: Pick<EdgeSettings, 'maxPayloadBytes'>
  log: Logger
  now(): number
  /** Keeps a task alive after the response (the object's waitUntil). */
  defer(task: Promise<unknown>): void
  health: NonNullable<Deps['health']>
  /** SHA-256 of POSTBRIDGE_ADMIN_TOKEN, when it is set (edgeAdminHash). */
  adminHash?: string | undefined
  /** The features of this mode. */
  features?: Pick<Deps, 'webhooks' | 'notify' | 'actions'>
}

export function createEdgeApp(options: EdgeAppOptions): EdgeApp {
  const deps: Deps = {
    bus: options.bus,
    tokens: options.tokens,
    now: options.now,
    defer: options.defer,
    log: options.log,
    metrics: createMetrics(),
    limits: edgeApiLimits(options.settings),
    health: options.health,
    ...options.features,
  }
  return createApp(() => deps, options.adminHash ? { envAdminHash: options.adminHash } : {})
}
