/**
 * The webhook tables as SQL, and their rows as records: shared by the SQLite stores of both runtimes (better-sqlite3
 * at home, Durable Object SQLite at the edge), which differ only in how they run a statement.
 */
import type { AttemptOutcome, AttemptRecord, OutboxEntry, WebhookRecord } from './ports.js'

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
