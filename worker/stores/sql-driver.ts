/** The SqlDriver of src/sql.ts over Durable Object SQLite. */
import type { SqlDriver, SqlValue } from '../../src/sql.js'

export function durableSqlDriver(storage: DurableObjectStorage): SqlDriver {
  const sql = storage.sql
  return {
    run: (query, ...params) => {
      // rowsWritten counts index entries too (a DELETE of one indexed row reports 2 or more): ask SQLite what the
      // statement itself changed, as better-sqlite3 reports it.
      sql.exec(query, ...params).toArray()
      return sql.exec<{ n: number }>('SELECT changes() AS n').one().n
    },
    all: <T extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]) => sql.exec<T>(query, ...params).toArray(),
    transaction: <T>(fn: () => T): T => storage.transactionSync(fn),
  }
}
