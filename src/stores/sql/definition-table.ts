/**
 * The table behind every SQL store of definitions made through the API or the config file (sensors, notifiers): the
 * definition is JSON the core owns, beside where it came from and when it was made and changed. One place for the
 * schema and its queries, so the stores differ only in what hangs off a definition (state, events, deliveries).
 */
import type { SqlDriver } from '../../sql.js'

export interface DefinitionRecord {
  id: string
  source: string
  createdAt: number
  updatedAt: number
}

type Row = { spec: string; source: string; created_at: number; updated_at: number }

export class SqlDefinitionTable<R extends DefinitionRecord> {
  constructor(
    private readonly sql: SqlDriver,
    /** A table name of the store's own, never user input: it is spliced into the SQL. */
    private readonly table: string,
  ) {
    sql.run(
      `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, spec TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
    )
  }

  list(): R[] {
    return this.sql.all<Row>(`SELECT spec, source, created_at, updated_at FROM ${this.table} ORDER BY id`).map(toRecord<R>)
  }

  get(id: string): R | undefined {
    const row = this.sql.all<Row>(`SELECT spec, source, created_at, updated_at FROM ${this.table} WHERE id = ?`, id)[0]
    return row ? toRecord<R>(row) : undefined
  }

  put(record: R): void {
    const { source, createdAt, updatedAt, ...spec } = record
    this.sql.run(
      `INSERT INTO ${this.table} (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, source = excluded.source, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      record.id,
      JSON.stringify(spec),
      source,
      createdAt,
      updatedAt,
    )
  }

  /** Removes the definition only; the store removes what hangs off it in the same transaction. */
  delete(id: string): boolean {
    return this.sql.run(`DELETE FROM ${this.table} WHERE id = ?`, id) > 0
  }
}

/**
 * Keeps the newest `keep` rows of one owner in a history table (`seq` ascending with time): run after each insert,
 * inside its transaction, so a history never grows past its cap.
 */
export function trimHistory(sql: SqlDriver, table: string, ownerColumn: string, owner: string, keep: number): void {
  sql.run(
    `DELETE FROM ${table} WHERE ${ownerColumn} = ? AND seq <= (SELECT seq FROM ${table} WHERE ${ownerColumn} = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    owner,
    owner,
    keep,
  )
}

function toRecord<R extends DefinitionRecord>(row: Row): R {
  return { ...(JSON.parse(row.spec) as object), source: row.source, createdAt: row.created_at, updatedAt: row.updated_at } as R
}
