/** TokenStore in the home node's SQLite file. */
import { SqlTokenStore } from '../../src/auth/sql-token-store.js'
import type { Db } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'

export class SqliteTokenStore extends SqlTokenStore {
  constructor(db: Db) {
    super(betterSqliteDriver(db))
  }
}
