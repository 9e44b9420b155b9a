/** An in-memory WebhookStore: the reference behaviour the SQLite adapter is checked against. */
import type {
  AttemptOutcome,
  AttemptRecord,
  EnqueueResult,
  NewOutboxEntry,
  OutboxEntry,
  Settlement,
  WebhookRecord,
  WebhookStore,
} from '../webhooks/ports.js'
import { utf8Length } from '../util/bytes.js'

/** A stored row: the body lives once per message in `bodies`. */
type StoredRow = OutboxEntry & { bytes: number }

export class MemoryWebhookStore implements WebhookStore {
  private readonly hooks = new Map<string, WebhookRecord>()
  private readonly rows = new Map<number, StoredRow>()
  /** One copy of each message's body, shared by the rows of the hooks it matched. */
  readonly bodies = new Map<string, string>()
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
    this.dropUnusedBodies([...this.bodies.keys()])
    this.attemptLog = this.attemptLog.filter((a) => a.webhookId !== id)
    return this.hooks.delete(id)
  }
  async enqueue(entries: NewOutboxEntry[], options: { maxBytesPerHook?: number; now?: number } = {}): Promise<EnqueueResult> {
    if (this.failWith) throw this.failWith
    this.enqueueCalls.push(entries.length)
    const out: OutboxEntry[] = []
    const newest = new Map<string, number>()
    for (const e of entries) {
      if (!this.hooks.has(e.webhookId)) continue
      const row: StoredRow = { ...e, body: '', seq: ++this.seq, attempts: 0, nextAttemptAt: 0, state: 'pending', bytes: utf8Length(e.body) }
      this.rows.set(row.seq, row)
      if (!this.bodies.has(e.messageId)) this.bodies.set(e.messageId, e.body)
      out.push({ ...e, seq: row.seq, attempts: 0, nextAttemptAt: 0, state: 'pending' })
      newest.set(e.webhookId, row.seq)
    }
    const evicted: EnqueueResult['evicted'] = []
    const max = options.maxBytesPerHook
    if (max !== undefined) {
      for (const [webhookId, keep] of newest)
        for (const seq of this.evict(webhookId, max, keep, options.now ?? Date.now())) evicted.push({ webhookId, seq })
    }
    return { entries: out, evicted }
  }

  private evict(webhookId: string, maxBytes: number, keepSeq: number, now: number): number[] {
    const mine = (state: 'pending' | 'dead') =>
      [...this.rows.values()].filter((r) => r.webhookId === webhookId && r.state === state).sort((a, b) => a.seq - b.seq)
    const evicted: number[] = []
    let pending = mine('pending').reduce((n, r) => n + r.bytes, 0)
    for (const row of mine('pending')) {
      if (pending <= maxBytes || row.seq === keepSeq) break
      row.state = 'dead'
      this.attemptLog.push({
        webhookId,
        messageId: row.messageId,
        topicName: row.topicName,
        attempt: row.attempts,
        at: now,
        durationMs: 0,
        error: `outbox over ${maxBytes} bytes: the oldest message goes to dead`,
        outcome: 'dead',
      })
      pending -= row.bytes
      evicted.push(row.seq)
    }
    let dead = mine('dead').reduce((n, r) => n + r.bytes, 0)
    const dropped: string[] = []
    for (const row of mine('dead')) {
      if (dead <= maxBytes) break
      this.rows.delete(row.seq)
      dropped.push(row.messageId)
      dead -= row.bytes
    }
    this.dropUnusedBodies(dropped)
    return evicted
  }

  private dropUnusedBodies(messageIds: string[]): void {
    const used = new Set([...this.rows.values()].map((r) => r.messageId))
    for (const id of messageIds) if (!used.has(id)) this.bodies.delete(id)
  }

  private view(r: StoredRow): OutboxEntry {
    const { bytes: _bytes, ...entry } = r
    return { ...entry, body: this.bodies.get(r.messageId) ?? '' }
  }
  async pending(webhookId: string, afterSeq: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): Promise<OutboxEntry[]> {
    const rows = [...this.rows.values()]
      .filter((r) => r.webhookId === webhookId && r.state === 'pending' && r.seq > afterSeq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
    let bytes = 0
    let count = 0
    for (const r of rows) {
      bytes += r.bytes
      if (count > 0 && bytes > maxBytes) break
      count++
    }
    return rows.slice(0, count).map((r) => this.view(r))
  }
  async settle(settlements: Settlement[]): Promise<void> {
    if (this.failWith) throw this.failWith
    for (const { attempt, row } of settlements) {
      if (this.hooks.has(attempt.webhookId)) this.attemptLog.push({ ...attempt })
      if (!row) continue
      const stored = this.rows.get(row.seq)
      if (!stored) continue
      if (row.kind === 'delivered') {
        this.rows.delete(row.seq)
        this.dropUnusedBodies([stored.messageId])
      } else if (row.kind === 'dead') Object.assign(stored, { state: 'dead', attempts: row.attempts })
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
  async storedBodyCount(): Promise<number> {
    return this.bodies.size
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
