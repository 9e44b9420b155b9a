/** The little of SQL that stores need, so one store serves SQLite at home (better-sqlite3) and at the edge (Durable Object). */
export type SqlValue = string | number | null

export interface SqlDriver {
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, ...params: SqlValue[]): number
  /** Runs a query; its rows. */
  all<T extends Record<string, SqlValue>>(sql: string, ...params: SqlValue[]): T[]
}
