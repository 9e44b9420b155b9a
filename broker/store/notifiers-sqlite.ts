/** NotifierStore in the home node's SQLite file: the one SQL store (src/stores/sql/) over better-sqlite3. */
import { SqlNotifierStore } from '../../src/stores/sql/notifier-store.js'
import type { Db } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'

export class SqliteNotifierStore extends SqlNotifierStore {
  constructor(db: Db) {
    super(betterSqliteDriver(db))
  }
}
