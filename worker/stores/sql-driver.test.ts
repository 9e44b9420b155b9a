import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import type { TokenStore } from '../../src/ports/token-store.js'
import type { SqlDriver } from '../../src/sql.js'
import { describeSqlDriver } from '../../src/testing/sql-driver-contract.js'
import { describeTokenStore } from '../../src/testing/token-store-contract.js'
import { durableSqlDriver } from './sql-driver.js'
import { DurableTokenStore } from './token-store.js'

/**
 * Storage belongs to its Durable Object's context, so each call runs inside a fresh object of its own. Inside a
 * transaction's function the calls go to the real, synchronous driver of that call.
 */
function driverInFreshObject(): SqlDriver {
  const stub = env.LINK_HUB.getByName(crypto.randomUUID())
  let current: SqlDriver | undefined
  const outside = (method: 'run' | 'all', args: unknown[]) =>
    runInDurableObject(stub, (_hub, state) => (durableSqlDriver(state.storage)[method] as (...a: unknown[]) => unknown)(...args))
  return {
    run: (...args) => (current ? current.run(...args) : outside('run', args)) as number,
    all: (...args) => (current ? current.all(...args) : outside('all', args)) as never,
    transaction: (fn) =>
      runInDurableObject(stub, (_hub, state) => {
        current = durableSqlDriver(state.storage)
        try {
          return current.transaction(fn)
        } finally {
          current = undefined
        }
      }) as never,
  }
}

function tokenStoreInFreshObject(): TokenStore {
  const stub = env.LINK_HUB.getByName(crypto.randomUUID())
  return new Proxy({} as TokenStore, {
    // Not a thenable: the contract awaits the factory's result.
    get: (_target, method: string) =>
      method === 'then'
        ? undefined
        : (...args: unknown[]) =>
            runInDurableObject(stub, (_hub, state) => {
              const store = new DurableTokenStore(state.storage) as unknown as Record<string, (...a: unknown[]) => unknown>
              return store[method]!(...args)
            }),
  })
}

describeSqlDriver('Durable Object SQLite', driverInFreshObject)
describeTokenStore('Durable Object SQLite', tokenStoreInFreshObject)
