import type { BackupSource } from './backup.js'
import type { Bus } from './bus.js'
import type { ClientDirectory } from './clients.js'
import type { DashboardAssets } from './dashboard.js'
import type { Logger } from './logger.js'
import type { MetricLine, Metrics } from './metrics.js'
import type { MqttUserAdmin } from './mqtt-users.js'
import type { TokenStore } from './token-store.js'
import type { ApiLimits } from './types.js'

/**
 * What the core needs from a runtime: one port per file in this folder, data types in types.ts. Each port has one
 * real adapter per runtime and an in-memory fake in src/testing/. The notify and webhooks ports live with their
 * features (src/notify/ports.ts, src/webhooks/ports.ts).
 */
export interface Deps {
  bus: Bus
  tokens: TokenStore
  now(): number
  /** Keeps a background task alive after the response (waitUntil on Workers). */
  defer(task: Promise<unknown>): void
  log: Logger
  metrics: Metrics
  limits: ApiLimits
  /** Generates ids; crypto.randomUUID by default. */
  newId?(): string
  /** Optional: metric lines of features (webhook deliveries, link state) for /metrics. */
  metricLines?(): MetricLine[]
  /** Optional: extra facts for /v1/health (link state, store). */
  health?(): Promise<Record<string, unknown>> | Record<string, unknown>
  /** Optional: door sensors and phone alerts (src/notify/); /v1/sensors and /v1/notifiers answer 501 without it. */
  notify?: import('../notify/ports.js').NotifyService
  /** Optional: ends the streams, request waits and webhooks of a revoked token (src/auth/revocation.ts). */
  tokenWatch?: import('../auth/revocation.js').TokenWatch
  /** Optional: webhooks (src/webhooks/); the /v1/webhooks routes answer 501 without it. */
  webhooks?: import('../webhooks/ports.js').WebhookService
  /** Optional: the buttons of phone alerts; /v1/actions answers 501 without it. */
  actions?: Pick<import('../notify/actions.js').ActionService, 'peek' | 'use'>
  /** Optional: a consistent snapshot of the node's data; GET /v1/backup answers 501 without it. */
  backup?: BackupSource
  /** Optional: the broker's connected MQTT clients; /v1/clients answers 501 without it (external broker, edge). */
  clients?: ClientDirectory
  /** Optional: MQTT users kept by this node; /v1/mqtt-users answers 501 without it. */
  mqttUsers?: MqttUserAdmin
  /** Optional: the dashboard's files, served at `/` and `/ui/`; `/` answers 404 without them. */
  dashboard?: DashboardAssets
}
