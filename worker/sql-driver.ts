/** The SqlDriver of src/sql.ts over Durable Object SQLite. */
import type { SqlDriver, SqlValue } from '../src/sql.js'

export function durableSqlDriver(sql: SqlStorage): SqlDriver {
  return {
    run: (query, ...params) => sql.exec(query, ...params).rowsWritten,
    all: <T extends Record<string, SqlValue>>(query: string, ...params: SqlValue[]) => sql.exec<T>(query, ...params).toArray(),
  }
}
