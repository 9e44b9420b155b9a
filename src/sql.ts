/** The little of SQL that stores need, so one store serves SQLite at home (better-sqlite3) and at the edge (Durable Object). */
export type SqlValue = string | number | null

/** Each adapter passes describeSqlDriver (src/testing/sql-driver-contract.ts). */
export interface SqlDriver {
  /** Runs a statement; the number of rows it inserted, updated or deleted (index writes not counted). */
  run(sql: string, ...params: SqlValue[]): number
  /** Runs a query; its rows. */
  all<T extends Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): T[]
  /** Runs fn in one transaction: committed when it returns, rolled back (and the error rethrown) when it throws. */
  transaction<T>(fn: () => T): T
}
