/** The SqlDriver of src/sql.ts over better-sqlite3. */
import type { SqlDriver, SqlValue } from '../../src/sql.js'
import type { Db } from './db.js'

export function betterSqliteDriver(db: Db): SqlDriver {
  return {
    run: (sql, ...params) => db.prepare(sql).run(...params).changes,
    all: <T extends Record<string, SqlValue>>(sql: string, ...params: SqlValue[]) => db.prepare(sql).all(...params) as T[],
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
  }
}
