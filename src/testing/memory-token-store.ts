/** An in-memory TokenStore. */
import type { TokenRecord } from '../ports/types.js'
import type { TokenStore } from '../ports/token-store.js'

export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, TokenRecord>()

  async create(record: TokenRecord): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`token ${record.id} exists`)
    this.records.set(record.id, structuredClone(record))
  }
  async get(id: string): Promise<TokenRecord | undefined> {
    const r = this.records.get(id)
    return r ? structuredClone(r) : undefined
  }
  async list(): Promise<TokenRecord[]> {
    // In creation order, as the SQL store lists them.
    return [...this.records.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((r) => structuredClone(r))
  }
  async revoke(id: string): Promise<boolean> {
    return this.records.delete(id)
  }
  async touch(id: string, at: number): Promise<void> {
    const r = this.records.get(id)
    if (r) r.lastUsedAt = at
  }
}
