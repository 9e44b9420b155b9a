/**
 * WebhookStore over SQL, the same on both runtimes: better-sqlite3 at home (broker/store/webhooks-sqlite.ts adds the
 * WAL sync connection), Durable Object SQLite at the edge (worker/edge-webhooks.ts). Every write runs synchronously
 * inside the call, so an outbox row is committed before enqueue() even returns its promise, and so before the broker
 * acknowledges the message.
 */
import type { SqlDriver } from '../../sql.js'
import type {
  AttemptOutcome,
  AttemptRecord,
  EnqueueResult,
  NewOutboxEntry,
  OutboxEntry,
  Settlement,
  WebhookRecord,
  WebhookStore,
} from '../../webhooks/ports.js'
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
} from './webhook-rows.js'

export interface SqlWebhookStoreOptions {
  /** Called after every write transaction (home: marks the WAL for its next background fsync). */
  written?(): void
}

export class SqlWebhookStore implements WebhookStore {
  private readonly written: () => void

  constructor(
    private readonly sql: SqlDriver,
    options: SqlWebhookStoreOptions = {},
  ) {
    this.written = options.written ?? (() => {})
    for (const statement of WEBHOOK_SCHEMA) sql.run(statement)
    migrateWebhookTables(sql)
  }

  async listWebhooks(): Promise<WebhookRecord[]> {
    return this.sql.all<HookRow>('SELECT * FROM webhooks ORDER BY created_at, id').map(toHook)
  }

  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    const row = this.sql.all<HookRow>('SELECT * FROM webhooks WHERE id = ?', id)[0]
    return row ? toHook(row) : undefined
  }

  async putWebhook(r: WebhookRecord): Promise<void> {
    this.sql.run(
      `INSERT OR REPLACE INTO webhooks (id, topic_filter, url, secret, headers, enabled, disabled_reason, source, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.topicFilter,
      r.url,
      r.secret,
      JSON.stringify(r.headers),
      r.enabled ? 1 : 0,
      r.disabledReason ?? null,
      r.source,
      r.createdBy ?? null,
      r.createdAt,
      r.updatedAt,
    )
    this.written()
  }

  async deleteWebhook(id: string): Promise<boolean> {
    const deleted = this.sql.transaction(() => {
      this.sql.run('DELETE FROM webhook_outbox WHERE webhook_id = ?', id)
      this.sql.run('DELETE FROM webhook_attempts WHERE webhook_id = ?', id)
      this.sql.run('DELETE FROM webhook_bodies WHERE message_id NOT IN (SELECT message_id FROM webhook_outbox)')
      return this.sql.run('DELETE FROM webhooks WHERE id = ?', id) > 0
    })
    this.written()
    return deleted
  }

  async enqueue(entries: NewOutboxEntry[], options: { maxBytesPerHook?: number; now?: number } = {}): Promise<EnqueueResult> {
    const result = this.sql.transaction(() => {
      const out: OutboxEntry[] = []
      const newest = new Map<string, number>()
      for (const e of entries) {
        // Rows of a hook deleted meanwhile are dropped here rather than orphaned.
        const seq = insertOutboxRow(this.sql, e)
        if (seq === undefined) continue
        out.push({ ...e, seq, attempts: 0, nextAttemptAt: 0, state: 'pending' })
        newest.set(e.webhookId, seq)
      }
      const evicted: EnqueueResult['evicted'] = []
      const max = options.maxBytesPerHook
      if (max !== undefined) {
        const now = options.now ?? Date.now()
        for (const [webhookId, seq] of newest)
          for (const dead of evictOverCap(this.sql, webhookId, max, seq, now)) evicted.push({ webhookId, seq: dead })
      }
      return { entries: out, evicted }
    })
    this.written()
    return result
  }

  async pending(webhookId: string, afterSeq: number, limit: number, maxBytes?: number): Promise<OutboxEntry[]> {
    const rows = maxBytes === undefined ? limit : this.rowsWithin(webhookId, afterSeq, limit, maxBytes)
    return this.sql
      .all<OutboxRow>(
        `${OUTBOX_SELECT} WHERE o.webhook_id = ? AND o.state = 'pending' AND o.seq > ? ORDER BY o.seq LIMIT ?`,
        webhookId,
        afterSeq,
        rows,
      )
      .map(toEntry)
  }

  /** How many of the next pending rows fit in maxBytes by their bytes column (at least one), read without the bodies. */
  private rowsWithin(webhookId: string, afterSeq: number, limit: number, maxBytes: number): number {
    const sizes = this.sql.all<{ bytes: number }>(
      `SELECT bytes FROM webhook_outbox WHERE webhook_id = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
      webhookId,
      afterSeq,
      limit,
    )
    let bytes = 0
    let count = 0
    for (const row of sizes) {
      bytes += Number(row.bytes)
      if (count > 0 && bytes > maxBytes) break
      count++
    }
    return count
  }

  async settle(settlements: Settlement[]): Promise<void> {
    this.sql.transaction(() => {
      for (const { attempt: a, row } of settlements) {
        this.sql.run(
          `INSERT INTO webhook_attempts (webhook_id, message_id, topic, attempt, at, duration_ms, status, error, outcome)
           SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)`,
          a.webhookId,
          a.messageId,
          a.topicName,
          a.attempt,
          a.at,
          a.durationMs,
          a.status ?? null,
          a.error ?? null,
          a.outcome,
          a.webhookId,
        )
        if (!row) continue
        if (row.kind === 'delivered') {
          this.sql.run('DELETE FROM webhook_outbox WHERE seq = ?', row.seq)
          dropUnusedBodies(this.sql, [a.messageId])
        } else if (row.kind === 'dead') this.sql.run(`UPDATE webhook_outbox SET state = 'dead', attempts = ? WHERE seq = ?`, row.attempts, row.seq)
        else this.sql.run('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE seq = ?', row.attempts, row.nextAttemptAt, row.seq)
      }
    })
    this.written()
  }

  async attempts(webhookId: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]> {
    const rows =
      query.outcome === undefined
        ? this.sql.all<AttemptRow>('SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?', webhookId, query.limit)
        : this.sql.all<AttemptRow>(
            'SELECT * FROM webhook_attempts WHERE webhook_id = ? AND outcome = ? ORDER BY id DESC LIMIT ?',
            webhookId,
            query.outcome,
            query.limit,
          )
    return rows.map(toAttempt)
  }

  async requeue(webhookId: string, now: number): Promise<number> {
    const revived = this.sql.transaction(() => {
      const n = this.sql.run(
        `UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE webhook_id = ? AND state = 'dead'`,
        now,
        webhookId,
      )
      this.sql.run(
        `UPDATE webhook_outbox SET next_attempt_at = ? WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > ?`,
        now,
        webhookId,
        now,
      )
      return n
    })
    this.written()
    return revived
  }

  async counts(webhookId: string): Promise<{ pending: number; dead: number }> {
    const rows = this.sql.all<{ state: string; n: number }>(
      'SELECT state, COUNT(*) AS n FROM webhook_outbox WHERE webhook_id = ? GROUP BY state',
      webhookId,
    )
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, dead: rows.find((r) => r.state === 'dead')?.n ?? 0 }
  }

  async storedBodyCount(): Promise<number> {
    return Number(this.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_bodies')[0]?.n ?? 0)
  }

  async prune(keepAttempts: number): Promise<void> {
    this.sql.run(
      `DELETE FROM webhook_attempts WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS rank FROM webhook_attempts) WHERE rank > ?)`,
      keepAttempts,
    )
    this.written()
  }

  /** When the next pending delivery is due (the edge sets its alarm to it), or undefined when none is pending. */
  nextDue(): number | undefined {
    const row = this.sql.all<{ t: number | null }>(`SELECT MIN(next_attempt_at) AS t FROM webhook_outbox WHERE state = 'pending'`)[0]
    return row?.t ?? undefined
  }
}
