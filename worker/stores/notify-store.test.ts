import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describeNotifierStore, describeSensorStore } from '../../src/testing/notify-store-contract.js'
import { DurableNotifierStore } from './notifier-store.js'
import { DurableSensorStore } from './sensor-store.js'

/**
 * Storage belongs to its Durable Object's context, so each call of the contract runs inside the object; each store
 * gets its own object, so no case sees another's rows.
 */
function inFreshObject<T extends object>(make: (storage: DurableObjectStorage) => T): T {
  const stub = env.LINK_HUB.getByName(crypto.randomUUID())
  return new Proxy({} as T, {
    // Not a thenable: the contract awaits the factory's result.
    get: (_target, method: string) =>
      method === 'then'
        ? undefined
        : (...args: unknown[]) =>
            runInDurableObject(stub, (_hub, state) =>
              (make(state.storage) as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
            ),
  })
}

describeSensorStore('Durable Object SQLite', () => inFreshObject((storage) => new DurableSensorStore(storage)))
describeNotifierStore('Durable Object SQLite', () => inFreshObject((storage) => new DurableNotifierStore(storage)))
