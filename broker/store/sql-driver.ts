/** The SqlDriver of src/sql.ts over better-sqlite3. */
import type { Statement } from 'better-sqlite3'
import type { SqlValue, SqlDriver } from '../../src/sql.js'
import type { Db } from './db.js'

/** Statements kept prepared; the stores' SQL is a fixed set of strings, the bound only guards against any that is not. */
const MAX_PREPARED = 256

export function betterSqliteDriver(db: Db): SqlDriver {
  const prepared = new Map<string, Statement>()
  const prepare = (sql: string): Statement => {
    let statement = prepared.get(sql)
    if (statement) return statement
    statement = db.prepare(sql)
    if (prepared.size >= MAX_PREPARED) prepared.clear()
    prepared.set(sql, statement)
    return statement
  }
  return {
    run: (sql, ...params) => prepare(sql).run(...params).changes,
    all: <T extends Record<string, SqlValue>>(sql: string, ...params: SqlValue[]) => prepare(sql).all(...params) as T[],
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
  }
}
