/** TokenStore in Durable Object SQLite: tokens minted at the edge (POST /v1/tokens) survive restarts. */
import { SqlTokenStore } from '../../src/auth/sql-token-store.js'
import { durableSqlDriver } from './sql-driver.js'

export class DurableTokenStore extends SqlTokenStore {
  constructor(storage: DurableObjectStorage) {
    super(durableSqlDriver(storage))
  }
}
