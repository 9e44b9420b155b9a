/** TokenStore over SQL, the same on both runtimes; each runtime hands it its own driver. */
import type { TokenRecord } from '../ports/types.js'
import type { TokenStore } from '../ports/token-store.js'
import type { SqlDriver } from '../sql.js'

type Row = { id: string; name: string; hash: string; scope: string; created_at: number; last_used_at: number | null }

export class SqlTokenStore implements TokenStore {
  constructor(private readonly sql: SqlDriver) {
    sql.run(`CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )`)
  }

  async create(r: TokenRecord): Promise<void> {
    this.sql.run(
      'INSERT INTO tokens (id, name, hash, scope, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)',
      r.id,
      r.name,
      r.hash,
      JSON.stringify(r.scope),
      r.createdAt,
      r.lastUsedAt ?? null,
    )
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = this.sql.all<Row>('SELECT * FROM tokens WHERE id = ?', id)[0]
    return row ? toRecord(row) : undefined
  }

  async list(): Promise<TokenRecord[]> {
    return this.sql.all<Row>('SELECT * FROM tokens ORDER BY created_at, id').map(toRecord)
  }

  async revoke(id: string): Promise<boolean> {
    return this.sql.run('DELETE FROM tokens WHERE id = ?', id) > 0
  }

  async touch(id: string, at: number): Promise<void> {
    this.sql.run('UPDATE tokens SET last_used_at = ? WHERE id = ?', at, id)
  }
}

function toRecord(row: Row): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    scope: JSON.parse(row.scope) as TokenRecord['scope'],
    createdAt: row.created_at,
    ...(row.last_used_at !== null ? { lastUsedAt: row.last_used_at } : {}),
  }
}
