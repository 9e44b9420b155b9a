/** WebhookStore in Durable Object SQLite: webhooks at the edge, with their outbox and attempts log. */
import type { AttemptOutcome, AttemptRecord, NewOutboxEntry, OutboxEntry, Settlement, WebhookRecord, WebhookStore } from '../src/webhooks/ports.js'

type HookRow = {
  id: string
  topic_filter: string
  url: string
  secret: string
  headers: string
  enabled: number
  disabled_reason: string | null
  source: string
  created_by: string | null
  created_at: number
  updated_at: number
}

type OutboxRow = {
  seq: number
  webhook_id: string
  message_id: string
  topic: string
  body: string
  created_at: number
  attempts: number
  next_attempt_at: number
  state: 'pending' | 'dead'
}

type AttemptRow = {
  webhook_id: string
  message_id: string
  topic: string
  attempt: number
  at: number
  duration_ms: number
  status: number | null
  error: string | null
  outcome: AttemptOutcome
}

// The same tables as the home node's SQLite store (broker/store/webhooks-sqlite.ts).
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, topic_filter TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, headers TEXT NOT NULL,
    enabled INTEGER NOT NULL, disabled_reason TEXT, source TEXT NOT NULL, created_by TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  // AUTOINCREMENT: a seq is never reused after its row is deleted, so lanes can trust "seq > last seen".
  `CREATE TABLE IF NOT EXISTS webhook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL,
    body TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending')`,
  'CREATE INDEX IF NOT EXISTS webhook_outbox_lane ON webhook_outbox (webhook_id, state, seq)',
  `CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL,
    attempt INTEGER NOT NULL, at INTEGER NOT NULL, duration_ms REAL NOT NULL, status INTEGER, error TEXT,
    outcome TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS webhook_attempts_by_hook ON webhook_attempts (webhook_id, id)',
]

export class DurableWebhookStore implements WebhookStore {
  private readonly sql: SqlStorage

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql
    for (const statement of SCHEMA) this.sql.exec(statement)
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
      return this.sql.exec('DELETE FROM webhooks WHERE id = ?', id).rowsWritten > 0
    })
  }

  async enqueue(entries: NewOutboxEntry[]): Promise<OutboxEntry[]> {
    return this.storage.transactionSync(() => {
      const out: OutboxEntry[] = []
      for (const e of entries) {
        // Rows of a hook deleted meanwhile are dropped here rather than orphaned.
        const rows = this.sql
          .exec<{ seq: number }>(
            `INSERT INTO webhook_outbox (webhook_id, message_id, topic, body, created_at)
             SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?) RETURNING seq`,
            e.webhookId, e.messageId, e.topicName, e.body, e.createdAt, e.webhookId,
          )
          .toArray()
        if (rows[0]) out.push({ ...e, seq: rows[0].seq, attempts: 0, nextAttemptAt: 0, state: 'pending' })
      }
      return out
    })
  }

  async pending(webhookId: string, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    return this.sql
      .exec<OutboxRow>(`SELECT * FROM webhook_outbox WHERE webhook_id = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`, webhookId, afterSeq, limit)
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
        if (row.kind === 'delivered') this.sql.exec('DELETE FROM webhook_outbox WHERE seq = ?', row.seq)
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

function toHook(row: HookRow): WebhookRecord {
  return {
    id: row.id,
    topicFilter: row.topic_filter,
    url: row.url,
    secret: row.secret,
    headers: JSON.parse(row.headers) as Record<string, string>,
    enabled: row.enabled === 1,
    ...(row.disabled_reason === 'gone' ? { disabledReason: 'gone' as const } : {}),
    source: row.source === 'config' ? 'config' : 'api',
    ...(row.created_by !== null ? { createdBy: row.created_by } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    seq: row.seq,
    webhookId: row.webhook_id,
    messageId: row.message_id,
    topicName: row.topic,
    body: row.body,
    createdAt: row.created_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    state: row.state,
  }
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    webhookId: row.webhook_id,
    messageId: row.message_id,
    topicName: row.topic,
    attempt: row.attempt,
    at: row.at,
    durationMs: row.duration_ms,
    ...(row.status !== null ? { status: row.status } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    outcome: row.outcome,
  }
}
