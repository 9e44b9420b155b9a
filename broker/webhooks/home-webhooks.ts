/** Webhooks on the home node: the runtime-neutral dispatcher over the SQLite store, Node's fetch and DNS. */
import { lookup } from 'node:dns/promises'
import type { Bus } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import type { WebhooksConfig } from '../../src/webhooks/config.js'
import { startWebhookDispatcher, type WebhookDispatcher } from '../../src/webhooks/dispatcher.js'
import type { Resolver } from '../../src/webhooks/ports.js'
import type { Db } from '../store/db.js'
import { SqliteWebhookStore } from '../store/webhooks-sqlite.js'
import { createNodeFetch } from './node-fetch.js'

/** Every address the system resolver gives (what fetch may connect to), IPv4 and IPv6 alike. */
export const dnsResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address)

export interface HomeWebhooksOptions {
  db: Db
  bus: Bus
  config: WebhooksConfig
  log: Logger
  /** Where declared hooks' `secretEnv` variables are read. */
  env: Record<string, string | undefined>
  /** Defaults to node:http with keep-alive (node-fetch.ts). */
  fetch?: typeof fetch
}

export async function startHomeWebhooks(options: HomeWebhooksOptions): Promise<WebhookDispatcher> {
  const http = options.fetch ? undefined : createNodeFetch()
  const store = new SqliteWebhookStore(options.db)
  try {
    const dispatcher = await startWebhookDispatcher({
      bus: options.bus,
      store,
      fetch: options.fetch ?? http!.fetch,
      now: Date.now,
      log: options.log,
      config: options.config,
      resolve: dnsResolver,
      env: options.env,
    })
    return {
      ...dispatcher,
      close: async () => {
        await dispatcher.close()
        await store.close()
        http?.close()
      },
    }
  } catch (err) {
    await store.close()
    http?.close()
    throw err
  }
}
