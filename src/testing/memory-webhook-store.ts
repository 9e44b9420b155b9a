/** An in-memory WebhookStore: the reference behaviour the SQLite adapter is checked against. */
import type { AttemptOutcome, AttemptRecord, NewOutboxEntry, OutboxEntry, Settlement, WebhookRecord, WebhookStore } from '../webhooks/ports.js'

export class MemoryWebhookStore implements WebhookStore {
  private readonly hooks = new Map<string, WebhookRecord>()
  private readonly rows = new Map<number, OutboxEntry>()
  private attemptLog: AttemptRecord[] = []
  private seq = 0
  /** Every enqueue call, to check batching. */
  readonly enqueueCalls: number[] = []
  /** When set, enqueue and settle fail with it (to test error paths). */
  failWith: Error | undefined

  async listWebhooks(): Promise<WebhookRecord[]> {
    return [...this.hooks.values()].map((h) => structuredClone(h))
  }
  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    const h = this.hooks.get(id)
    return h ? structuredClone(h) : undefined
  }
  async putWebhook(record: WebhookRecord): Promise<void> {
    this.hooks.set(record.id, structuredClone(record))
  }
  async deleteWebhook(id: string): Promise<boolean> {
    for (const [seq, row] of this.rows) if (row.webhookId === id) this.rows.delete(seq)
    this.attemptLog = this.attemptLog.filter((a) => a.webhookId !== id)
    return this.hooks.delete(id)
  }
  async enqueue(entries: NewOutboxEntry[]): Promise<OutboxEntry[]> {
    if (this.failWith) throw this.failWith
    this.enqueueCalls.push(entries.length)
    const out: OutboxEntry[] = []
    for (const e of entries) {
      if (!this.hooks.has(e.webhookId)) continue
      const row: OutboxEntry = { ...e, seq: ++this.seq, attempts: 0, nextAttemptAt: 0, state: 'pending' }
      this.rows.set(row.seq, row)
      out.push({ ...row })
    }
    return out
  }
  async pending(webhookId: string, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    return [...this.rows.values()]
      .filter((r) => r.webhookId === webhookId && r.state === 'pending' && r.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((r) => ({ ...r }))
  }
  async settle(settlements: Settlement[]): Promise<void> {
    if (this.failWith) throw this.failWith
    for (const { attempt, row } of settlements) {
      if (this.hooks.has(attempt.webhookId)) this.attemptLog.push({ ...attempt })
      if (!row) continue
      const stored = this.rows.get(row.seq)
      if (!stored) continue
      if (row.kind === 'delivered') this.rows.delete(row.seq)
      else if (row.kind === 'dead') Object.assign(stored, { state: 'dead', attempts: row.attempts })
      else Object.assign(stored, { attempts: row.attempts, nextAttemptAt: row.nextAttemptAt })
    }
  }
  async attempts(webhookId: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]> {
    return this.attemptLog
      .filter((a) => a.webhookId === webhookId && (query.outcome === undefined || a.outcome === query.outcome))
      .reverse()
      .slice(0, query.limit)
      .map((a) => ({ ...a }))
  }
  async requeue(webhookId: string, now: number): Promise<number> {
    let count = 0
    for (const row of this.rows.values()) {
      if (row.webhookId !== webhookId) continue
      if (row.state === 'dead') {
        Object.assign(row, { state: 'pending', attempts: 0, nextAttemptAt: now })
        count++
      } else if (row.nextAttemptAt > now) row.nextAttemptAt = now
    }
    return count
  }
  async counts(webhookId: string): Promise<{ pending: number; dead: number }> {
    let pending = 0
    let dead = 0
    for (const row of this.rows.values()) {
      if (row.webhookId !== webhookId) continue
      if (row.state === 'dead') dead++
      else pending++
    }
    return { pending, dead }
  }
  async prune(keepAttempts: number): Promise<void> {
    const kept: AttemptRecord[] = []
    const seen = new Map<string, number>()
    for (const a of [...this.attemptLog].reverse()) {
      const n = seen.get(a.webhookId) ?? 0
      if (n < keepAttempts) kept.push(a)
      seen.set(a.webhookId, n + 1)
    }
    this.attemptLog = kept.reverse()
  }
}
