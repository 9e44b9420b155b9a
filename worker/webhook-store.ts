/** WebhookStore in Durable Object SQLite: webhooks at the edge, with their outbox and attempts log. */
import type { AttemptOutcome, AttemptRecord, EnqueueResult, NewOutboxEntry, OutboxEntry, Settlement, WebhookRecord, WebhookStore } from '../src/webhooks/ports.js'
import {
  WEBHOOK_SCHEMA,
  OUTBOX_SELECT,
  dropUnusedBodies,
  evictOverCap,
  insertOutboxRow,
  migrateWebhookTables,
  toAttempt,
  toEntry,
  toHook,
  type AttemptRow,
  type HookRow,
  type OutboxRow,
  type SqlRun,
} from '../src/webhooks/sql-rows.js'


export class DurableWebhookStore implements WebhookStore {
  private readonly sql: SqlStorage
  private readonly run: SqlRun = (query, ...params) => this.sql.exec<Record<string, SqlStorageValue>>(query, ...params).toArray() as Record<string, unknown>[]

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql
    for (const statement of WEBHOOK_SCHEMA) this.sql.exec(statement)
    migrateWebhookTables(this.run)
  }

  async listWebhooks(): Promise<WebhookRecord[]> {
    return this.sql.exec<HookRow>('SELECT * FROM webhooks ORDER BY created_at, id').toArray().map(toHook)
  }

  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    const row = this.sql.exec<HookRow>('SELECT * FROM webhooks WHERE id = ?', id).toArray()[0]
    return row ? toHook(row) : undefined
  }

  async putWebhook(r: WebhookRecord): Promise<void> {
    this.sql.exec(
      `INSERT OR REPLACE INTO webhooks (id, topic_filter, url, secret, headers, enabled, disabled_reason, source, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.topicFilter, r.url, r.secret, JSON.stringify(r.headers), r.enabled ? 1 : 0, r.disabledReason ?? null, r.source, r.createdBy ?? null, r.createdAt, r.updatedAt,
    )
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM webhook_outbox WHERE webhook_id = ?', id)
      this.sql.exec('DELETE FROM webhook_attempts WHERE webhook_id = ?', id)
      this.sql.exec('DELETE FROM webhook_bodies WHERE message_id NOT IN (SELECT message_id FROM webhook_outbox)')
      return this.sql.exec('DELETE FROM webhooks WHERE id = ?', id).rowsWritten > 0
    })
  }

  async enqueue(entries: NewOutboxEntry[], options: { maxBytesPerHook?: number; now?: number } = {}): Promise<EnqueueResult> {
    return this.storage.transactionSync(() => {
      const out: OutboxEntry[] = []
      const newest = new Map<string, number>()
      for (const e of entries) {
        // Rows of a hook deleted meanwhile are dropped here rather than orphaned.
        const seq = insertOutboxRow(this.run, e)
        if (seq === undefined) continue
        out.push({ ...e, seq, attempts: 0, nextAttemptAt: 0, state: 'pending' })
        newest.set(e.webhookId, seq)
      }
      const evicted: EnqueueResult['evicted'] = []
      const max = options.maxBytesPerHook
      if (max !== undefined) {
        for (const [webhookId, seq] of newest) for (const dead of evictOverCap(this.run, webhookId, max, seq, options.now ?? Date.now())) evicted.push({ webhookId, seq: dead })
      }
      return { entries: out, evicted }
    })
  }

  async pending(webhookId: string, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    return this.sql
      .exec<OutboxRow>(`${OUTBOX_SELECT} WHERE o.webhook_id = ? AND o.state = 'pending' AND o.seq > ? ORDER BY o.seq LIMIT ?`, webhookId, afterSeq, limit)
      .toArray()
      .map(toEntry)
  }

  async settle(settlements: Settlement[]): Promise<void> {
    this.storage.transactionSync(() => {
      for (const { attempt: a, row } of settlements) {
        this.sql.exec(
          `INSERT INTO webhook_attempts (webhook_id, message_id, topic, attempt, at, duration_ms, status, error, outcome)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)`,
          a.webhookId, a.messageId, a.topicName, a.attempt, a.at, a.durationMs, a.status ?? null, a.error ?? null, a.outcome, a.webhookId,
        )
        if (!row) continue
        if (row.kind === 'delivered') {
          this.sql.exec('DELETE FROM webhook_outbox WHERE seq = ?', row.seq)
          dropUnusedBodies(this.run, [a.messageId])
        }
        else if (row.kind === 'dead') this.sql.exec(`UPDATE webhook_outbox SET state = 'dead', attempts = ? WHERE seq = ?`, row.attempts, row.seq)
        else this.sql.exec('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE seq = ?', row.attempts, row.nextAttemptAt, row.seq)
      }
    })
  }

  async attempts(webhookId: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]> {
    const rows =
      query.outcome === undefined
        ? this.sql.exec<AttemptRow>('SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?', webhookId, query.limit)
        : this.sql.exec<AttemptRow>('SELECT * FROM webhook_attempts WHERE webhook_id = ? AND outcome = ? ORDER BY id DESC LIMIT ?', webhookId, query.outcome, query.limit)
    return rows.toArray().map(toAttempt)
  }

  async requeue(webhookId: string, now: number): Promise<number> {
    return this.storage.transactionSync(() => {
      // Counted with RETURNING: rowsWritten also counts index rows.
      const revived = this.sql
        .exec(`UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE webhook_id = ? AND state = 'dead' RETURNING seq`, now, webhookId)
        .toArray().length
      this.sql.exec(`UPDATE webhook_outbox SET next_attempt_at = ? WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > ?`, now, webhookId, now)
      return revived
    })
  }

  async counts(webhookId: string): Promise<{ pending: number; dead: number }> {
    const rows = this.sql.exec<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM webhook_outbox WHERE webhook_id = ? GROUP BY state', webhookId).toArray()
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, dead: rows.find((r) => r.state === 'dead')?.n ?? 0 }
  }

  async storedBodyCount(): Promise<number> {
    return Number(this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_bodies').one().n)
  }

  async prune(keepAttempts: number): Promise<void> {
    this.sql.exec(
      `DELETE FROM webhook_attempts WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS rank FROM webhook_attempts) WHERE rank > ?)`,
      keepAttempts,
    )
  }

  /** When the next pending delivery is due, for the alarm that wakes the object to make it. */
  nextDue(): number | undefined {
    const row = this.sql.exec<{ t: number | null }>(`SELECT MIN(next_attempt_at) AS t FROM webhook_outbox WHERE state = 'pending'`).one()
    return row.t ?? undefined
  }
}
