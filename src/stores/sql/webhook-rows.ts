/**
 * The webhook tables as SQL, and their rows as records, for the one SQL webhook store (./webhook-store.ts): the outbox
 * with its shared body table, the per-hook byte caps, and the migration of tables made by older versions.
 */
import type { SqlDriver } from '../../sql.js'
import { utf8Length } from '../../util/bytes.js'
import type { AttemptOutcome, AttemptRecord, OutboxEntry, WebhookRecord } from '../../webhooks/ports.js'

export type HookRow = {
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

export type OutboxRow = {
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

export type AttemptRow = {
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

/** One statement per entry: Durable Object SQLite runs one statement per exec. */
export const WEBHOOK_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, topic_filter TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, headers TEXT NOT NULL,
    enabled INTEGER NOT NULL, disabled_reason TEXT, source TEXT NOT NULL, created_by TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
  // AUTOINCREMENT: a seq is never reused after its row is deleted, so lanes can trust "seq > last seen".
  // body is '' for rows whose body is in webhook_bodies (one copy per message, shared by the hooks it matched);
  // rows written before that table existed keep their own. bytes: the body's UTF-8 length, for the per-hook cap.
  `CREATE TABLE IF NOT EXISTS webhook_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL,
    body TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending', bytes INTEGER NOT NULL DEFAULT 0)`,
  'CREATE INDEX IF NOT EXISTS webhook_outbox_lane ON webhook_outbox (webhook_id, state, seq)',
  'CREATE INDEX IF NOT EXISTS webhook_outbox_message ON webhook_outbox (message_id)',
  'CREATE TABLE IF NOT EXISTS webhook_bodies (message_id TEXT PRIMARY KEY, body TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL,
    attempt INTEGER NOT NULL, at INTEGER NOT NULL, duration_ms REAL NOT NULL, status INTEGER, error TEXT,
    outcome TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS webhook_attempts_by_hook ON webhook_attempts (webhook_id, id)',
]

/** Brings a data directory made before the bytes column up to date; a no-op (refused ALTER) on a new one. */
export function migrateWebhookTables(sql: SqlDriver): void {
  try {
    sql.run('ALTER TABLE webhook_outbox ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0')
  } catch {
    // the column is there already
  }
  // Covers the per-hook byte sums of every enqueue (evictOverCap), so they read the index only.
  sql.run('CREATE INDEX IF NOT EXISTS webhook_outbox_bytes ON webhook_outbox (webhook_id, state, bytes)')
}

/** The outbox columns with the body taken from webhook_bodies when the row does not hold its own. */
export const OUTBOX_SELECT = `SELECT o.seq, o.webhook_id, o.message_id, o.topic, CASE WHEN o.body = '' THEN COALESCE(b.body, '') ELSE o.body END AS body,
  o.created_at, o.attempts, o.next_attempt_at, o.state FROM webhook_outbox o LEFT JOIN webhook_bodies b ON b.message_id = o.message_id`

/** Inserts one outbox row, and the message's body once; false when the hook is gone. Run inside a transaction. */
export function insertOutboxRow(
  sql: SqlDriver,
  e: { webhookId: string; messageId: string; topicName: string; body: string; createdAt: number },
): number | undefined {
  const rows = sql.all<{ seq: number }>(
    `INSERT INTO webhook_outbox (webhook_id, message_id, topic, body, created_at, bytes)
     SELECT ?, ?, ?, '', ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?) RETURNING seq`,
    e.webhookId,
    e.messageId,
    e.topicName,
    e.createdAt,
    utf8Length(e.body),
    e.webhookId,
  )
  if (!rows[0]) return undefined
  sql.run('INSERT OR IGNORE INTO webhook_bodies (message_id, body) VALUES (?, ?)', e.messageId, e.body)
  return Number(rows[0].seq)
}

/** Deletes the stored bodies of these messages that no outbox row uses any more. */
export function dropUnusedBodies(sql: SqlDriver, messageIds: Iterable<string>): void {
  for (const id of new Set(messageIds))
    sql.run('DELETE FROM webhook_bodies WHERE message_id = ? AND NOT EXISTS (SELECT 1 FROM webhook_outbox WHERE message_id = ?)', id, id)
}

/**
 * Keeps one hook's outbox within maxBytes of pending bodies and as many of dead ones: the oldest pending rows beyond
 * it become dead (logged as dead attempts), the oldest dead rows beyond it are deleted. keepSeq (the row just
 * appended) always stays. Returns the seqs made dead. Run inside the enqueue transaction.
 */
export function evictOverCap(sql: SqlDriver, webhookId: string, maxBytes: number, keepSeq: number, now: number): number[] {
  const sum = (state: string) =>
    Number(sql.all(`SELECT COALESCE(SUM(bytes), 0) AS n FROM webhook_outbox WHERE webhook_id = ? AND state = ?`, webhookId, state)[0]?.n ?? 0)
  const evicted: number[] = []
  let pending = sum('pending')
  if (pending > maxBytes) {
    for (const row of sql.all(
      `SELECT seq, message_id, topic, attempts, bytes FROM webhook_outbox WHERE webhook_id = ? AND state = 'pending' ORDER BY seq`,
      webhookId,
    )) {
      if (pending <= maxBytes || row.seq === keepSeq) break
      sql.run(`UPDATE webhook_outbox SET state = 'dead' WHERE seq = ?`, Number(row.seq))
      sql.run(
        `INSERT INTO webhook_attempts (webhook_id, message_id, topic, attempt, at, duration_ms, status, error, outcome) VALUES (?, ?, ?, ?, ?, 0, NULL, ?, 'dead')`,
        webhookId,
        String(row.message_id),
        String(row.topic),
        Number(row.attempts),
        now,
        `outbox over ${maxBytes} bytes: the oldest message goes to dead`,
      )
      pending -= Number(row.bytes)
      evicted.push(Number(row.seq))
    }
  }
  let dead = sum('dead')
  if (dead > maxBytes) {
    const dropped: string[] = []
    for (const row of sql.all(`SELECT seq, message_id, bytes FROM webhook_outbox WHERE webhook_id = ? AND state = 'dead' ORDER BY seq`, webhookId)) {
      if (dead <= maxBytes) break
      sql.run('DELETE FROM webhook_outbox WHERE seq = ?', Number(row.seq))
      dropped.push(String(row.message_id))
      dead -= Number(row.bytes)
    }
    dropUnusedBodies(sql, dropped)
  }
  return evicted
}

export function toHook(row: HookRow): WebhookRecord {
  return {
    id: row.id,
    topicFilter: row.topic_filter,
    url: row.url,
    secret: row.secret,
    headers: JSON.parse(row.headers) as Record<string, string>,
    enabled: row.enabled === 1,
    ...(row.disabled_reason === 'gone' || row.disabled_reason === 'revoked' ? { disabledReason: row.disabled_reason } : {}),
    source: row.source === 'config' ? 'config' : 'api',
    ...(row.created_by !== null ? { createdBy: row.created_by } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export function toEntry(row: OutboxRow): OutboxEntry {
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

export function toAttempt(row: AttemptRow): AttemptRecord {
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
