import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describeWebhookStore } from '../../src/testing/webhook-store-contract.js'
import type { WebhookStore } from '../../src/webhooks/ports.js'
import { SqlWebhookStore } from '../../src/stores/sql/webhook-store.js'
import { durableSqlDriver } from './sql-driver.js'

/**
 * Storage belongs to its Durable Object's context, so each call of the contract runs inside the object. Each store
 * gets its own object, so no case sees another's rows.
 */
function storeInFreshObject(): WebhookStore {
  const stub = env.LINK_HUB.getByName(crypto.randomUUID())
  return new Proxy({} as WebhookStore, {
    // Not a thenable: the contract awaits the factory's result.
    get: (_target, method: string) =>
      method === 'then'
        ? undefined
        : (...args: unknown[]) =>
            runInDurableObject(stub, (_hub, state) => {
              const store = new SqlWebhookStore(durableSqlDriver(state.storage)) as unknown as Record<string, (...a: unknown[]) => unknown>
              return store[method]!(...args)
            }),
  })
}

describeWebhookStore('Durable Object SQLite', storeInFreshObject)
