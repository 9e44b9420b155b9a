/**
 * Webhooks at the edge: the same dispatcher as the home node (src/webhooks), over Durable Object SQLite and the
 * Worker's fetch. Messages that come up the link are matched and delivered from Cloudflare, so a receiver on the
 * internet hears about home even when home cannot reach it directly.
 */
import type { EdgeSettings } from '../src/link/edge-settings.js'
import type { Bus } from '../src/ports/bus.js'
import type { Logger } from '../src/ports/logger.js'
import { SqlWebhookStore } from '../src/stores/sql/webhook-store.js'
import { webhooksConfigSchema } from '../src/webhooks/config.js'
import { startWebhookDispatcher, type WebhookDispatcher } from '../src/webhooks/dispatcher.js'
import { durableSqlDriver } from './stores/sql-driver.js'

export interface EdgeWebhooks {
  dispatcher: WebhookDispatcher
  store: SqlWebhookStore
}

export async function startEdgeWebhooks(options: {
  storage: DurableObjectStorage
  bus: Bus
  settings: EdgeSettings
  log: Logger
  now(): number
}): Promise<EdgeWebhooks> {
  const store = new SqlWebhookStore(durableSqlDriver(options.storage))
  // Hooks at the edge are made through the API (POST /v1/webhooks); the Worker has no config file to declare them in.
  const config = webhooksConfigSchema().parse({ allowPrivate: options.settings.webhooksAllowPrivate })
  const dispatcher = await startWebhookDispatcher({
    bus: options.bus,
    store,
    // workerd's fetch: no DNS lookup is possible here, so only literal addresses are checked (url-policy.ts).
    fetch: (input, init) => fetch(input, init),
    now: options.now,
    log: options.log,
    config,
    // Refusals name the Worker's variable: the home key `webhooks.allowPrivate` means nothing at the edge.
    allowPrivateSetting: 'the Worker variable POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE=true',
  })
  return { dispatcher, store }
}
