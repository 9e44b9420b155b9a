/** The ActionStore fake: a Map, with the same take-once rule as the SQL store. */
import type { ActionRecord, ActionStore } from '../notify/actions.js'

export class MemoryActionStore implements ActionStore {
  readonly records = new Map<string, ActionRecord>()
  async put(record: ActionRecord) {
    this.records.set(record.hash, { ...record })
  }
  async get(hash: string) {
    const r = this.records.get(hash)
    return r ? { ...r } : undefined
  }
  async take(hash: string, now: number) {
    const r = this.records.get(hash)
    if (!r || r.usedAt !== undefined || r.expiresAt <= now) return false
    r.usedAt = now
    return true
  }
  async release(hash: string) {
    const r = this.records.get(hash)
    if (r) delete r.usedAt
  }
  async prune(before: number) {
    for (const [h, r] of this.records) if (r.expiresAt < before) this.records.delete(h)
  }
}
