/** TokenStore in Durable Object SQLite: tokens minted at the edge (POST /v1/tokens) survive restarts. */
import type { TokenRecord, TokenStore } from '../src/ports.js'

type Row = { id: string; name: string; hash: string; scope: string; created_at: number; last_used_at: number | null }

export class DurableTokenStore implements TokenStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )`)
  }

  async create(r: TokenRecord): Promise<void> {
    this.sql.exec(
      'INSERT INTO tokens (id, name, hash, scope, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)',
      r.id, r.name, r.hash, JSON.stringify(r.scope), r.createdAt, r.lastUsedAt ?? null,
    )
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = this.sql.exec<Row>('SELECT * FROM tokens WHERE id = ?', id).toArray()[0]
    return row ? toRecord(row) : undefined
  }

  async list(): Promise<TokenRecord[]> {
    return this.sql.exec<Row>('SELECT * FROM tokens ORDER BY created_at, id').toArray().map(toRecord)
  }

  async revoke(id: string): Promise<boolean> {
    return this.sql.exec('DELETE FROM tokens WHERE id = ?', id).rowsWritten > 0
  }

  async touch(id: string, at: number): Promise<void> {
    this.sql.exec('UPDATE tokens SET last_used_at = ? WHERE id = ?', at, id)
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
