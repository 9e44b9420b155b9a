/** TokenStore over SQLite. */
import type { TokenRecord, TokenStore } from '../../src/ports.js'
import type { Db } from './db.js'

interface Row {
  id: string
  name: string
  hash: string
  scope: string
  created_at: number
  last_used_at: number | null
}

export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      hash TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER
    )`)
  }

  async create(r: TokenRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO tokens (id, name, hash, scope, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.name, r.hash, JSON.stringify(r.scope), r.createdAt, r.lastUsedAt ?? null)
  }

  async get(id: string): Promise<TokenRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM tokens WHERE id = ?').get(id) as Row | undefined
    return row ? toRecord(row) : undefined
  }

  async list(): Promise<TokenRecord[]> {
    return (this.db.prepare('SELECT * FROM tokens ORDER BY created_at, id').all() as Row[]).map(toRecord)
  }

  async revoke(id: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM tokens WHERE id = ?').run(id).changes > 0
  }

  async touch(id: string, at: number): Promise<void> {
    this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, id)
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
