/** SensorStore in the home node's SQLite file: the one SQL store (src/stores/sql/) over better-sqlite3. */
import { SqlSensorStore } from '../../src/stores/sql/sensor-store.js'
import type { Db } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'

export class SqliteSensorStore extends SqlSensorStore {
  constructor(db: Db) {
    super(betterSqliteDriver(db))
  }
}
