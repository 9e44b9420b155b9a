/**
 * WebhookStore over SQLite. Writes run synchronously inside the call (better-sqlite3), so an outbox row is committed
 * before enqueue() even returns its promise, and so before the broker acknowledges the message.
 *
 * Durability: an fsync per message (synchronous=FULL) caps the outbox at a few hundred messages a second on an SD
 * card and wears it. By default the store has its own connection with synchronous=NORMAL: a commit is in the OS
 * before the acknowledgement (a killed process loses nothing), and the WAL is fsynced off the event loop every
 * syncIntervalMs (a power cut loses at most that window). The broker's LevelDB store never fsyncs at all.
 * syncIntervalMs: 0 uses the shared connection as opened (synchronous=FULL: every commit waits for the disk).
 */
import Database, { type Statement } from 'better-sqlite3'
import type { AttemptOutcome, AttemptRecord, EnqueueResult, NewOutboxEntry, OutboxEntry, Settlement, WebhookRecord, WebhookStore } from '../../src/webhooks/ports.js'
import type { Db } from './db.js'
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
} from '../../src/webhooks/sql-rows.js'
import { WalSync, type FsyncFn } from './wal-sync.js'


export interface SqliteWebhookStoreOptions {
  /** How often the WAL is fsynced (ms); 0: every commit waits for its fsync. */
  syncIntervalMs?: number
  /** Injected for tests. */
  fsync?: FsyncFn
}

export const DEFAULT_SYNC_INTERVAL_MS = 100

export class SqliteWebhookStore implements WebhookStore {
  private readonly db: Db
  /** Set when the store has its own synchronous=NORMAL connection and syncs the WAL itself. */
  private readonly wal: WalSync | undefined
  private readonly syncTimer: ReturnType<typeof setInterval> | undefined
  private readonly insertAttempt: Statement
  private readonly deleteRow: Statement
  private readonly retryRow: Statement
  private readonly deadRow: Statement
  private readonly enqueueTx: (entries: NewOutboxEntry[], maxBytesPerHook: number | undefined, now: number) => EnqueueResult
  private readonly statements = new Map<string, Statement>()
  /** Runs any statement, prepared once. */
  private readonly run: SqlRun = (sql, ...params) => {
    let statement = this.statements.get(sql)
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)))
    if (statement.reader) return statement.all(...params) as Record<string, unknown>[]
    statement.run(...params)
    return []
  }
  private readonly settleTx: (settlements: Settlement[]) => void

  constructor(shared: Db, options: SqliteWebhookStoreOptions = {}) {
    const interval = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS
    if (interval > 0 && !shared.memory) {
      // synchronous is per connection: the shared one keeps FULL for tokens and users.
      this.db = new Database(shared.name)
      this.db.pragma('busy_timeout = 5000')
      this.db.pragma('synchronous = NORMAL')
      this.wal = new WalSync(`${shared.name}-wal`, options.fsync)
      this.syncTimer = setInterval(() => void this.wal?.sync(), interval)
      this.syncTimer.unref()
    } else {
      this.db = shared
    }
    const db = this.db
    for (const statement of WEBHOOK_SCHEMA) db.exec(statement)
    migrateWebhookTables((sql) => (db.exec(sql), []))
    this.insertAttempt = db.prepare(
      `INSERT INTO webhook_attempts (webhook_id, message_id, topic, attempt, at, duration_ms, status, error, outcome)
       SELECT @webhookId, @messageId, @topicName, @attempt, @at, @durationMs, @status, @error, @outcome WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId)`,
    )
    this.deleteRow = db.prepare('DELETE FROM webhook_outbox WHERE seq = ?')
    this.retryRow = db.prepare('UPDATE webhook_outbox SET attempts = ?, next_attempt_at = ? WHERE seq = ?')
    this.deadRow = db.prepare(`UPDATE webhook_outbox SET state = 'dead', attempts = ? WHERE seq = ?`)

    this.enqueueTx = db.transaction((entries: NewOutboxEntry[], maxBytesPerHook: number | undefined, now: number) => {
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
      if (maxBytesPerHook !== undefined) {
        for (const [webhookId, seq] of newest) for (const dead of evictOverCap(this.run, webhookId, maxBytesPerHook, seq, now)) evicted.push({ webhookId, seq: dead })
      }
      return { entries: out, evicted }
    })

    this.settleTx = db.transaction((settlements: Settlement[]) => {
      for (const { attempt, row } of settlements) {
        this.insertAttempt.run({ ...attempt, status: attempt.status ?? null, error: attempt.error ?? null })
        if (!row) continue
        if (row.kind === 'delivered') {
          this.deleteRow.run(row.seq)
          dropUnusedBodies(this.run, [attempt.messageId])
        }
        else if (row.kind === 'dead') this.deadRow.run(row.attempts, row.seq)
        else this.retryRow.run(row.attempts, row.nextAttemptAt, row.seq)
      }
    })
  }

  async listWebhooks(): Promise<WebhookRecord[]> {
    return (this.db.prepare('SELECT * FROM webhooks ORDER BY created_at, id').all() as HookRow[]).map(toHook)
  }

  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as HookRow | undefined
    return row ? toHook(row) : undefined
  }

  async putWebhook(r: WebhookRecord): Promise<void> {
    this.wal?.touched()
    this.db
      .prepare(
        `INSERT OR REPLACE INTO webhooks (id, topic_filter, url, secret, headers, enabled, disabled_reason, source, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.topicFilter, r.url, r.secret, JSON.stringify(r.headers), r.enabled ? 1 : 0, r.disabledReason ?? null, r.source, r.createdBy ?? null, r.createdAt, r.updatedAt)
  }

  async deleteWebhook(id: string): Promise<boolean> {
    this.wal?.touched()
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM webhook_outbox WHERE webhook_id = ?').run(id)
      this.db.prepare('DELETE FROM webhook_attempts WHERE webhook_id = ?').run(id)
      this.db.prepare('DELETE FROM webhook_bodies WHERE message_id NOT IN (SELECT message_id FROM webhook_outbox)').run()
      return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0
    })()
  }

  async enqueue(entries: NewOutboxEntry[], options: { maxBytesPerHook?: number; now?: number } = {}): Promise<EnqueueResult> {
    this.wal?.touched()
    return this.enqueueTx(entries, options.maxBytesPerHook, options.now ?? Date.now())
  }

  async pending(webhookId: string, afterSeq: number, limit: number): Promise<OutboxEntry[]> {
    const rows = this.db
      .prepare(`${OUTBOX_SELECT} WHERE o.webhook_id = ? AND o.state = 'pending' AND o.seq > ? ORDER BY o.seq LIMIT ?`)
      .all(webhookId, afterSeq, limit) as OutboxRow[]
    return rows.map(toEntry)
  }

  async settle(settlements: Settlement[]): Promise<void> {
    this.wal?.touched()
    this.settleTx(settlements)
  }

  /** Makes every commit so far survive a power cut (each commit already does with syncIntervalMs 0). */
  sync(): Promise<void> {
    return this.wal?.sync() ?? Promise.resolve()
  }

  /** Syncs, then closes the store's own connection (the shared one belongs to whoever opened it). */
  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer)
    if (!this.wal) return
    await this.wal.close()
    this.db.close()
  }

  async attempts(webhookId: string, query: { limit: number; outcome?: AttemptOutcome }): Promise<AttemptRecord[]> {
    const rows = (
      query.outcome === undefined
        ? this.db.prepare('SELECT * FROM webhook_attempts WHERE webhook_id = ? ORDER BY id DESC LIMIT ?').all(webhookId, query.limit)
        : this.db.prepare('SELECT * FROM webhook_attempts WHERE webhook_id = ? AND outcome = ? ORDER BY id DESC LIMIT ?').all(webhookId, query.outcome, query.limit)
    ) as AttemptRow[]
    return rows.map(toAttempt)
  }

  async requeue(webhookId: string, now: number): Promise<number> {
    this.wal?.touched()
    return this.db.transaction(() => {
      const revived = this.db
        .prepare(`UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE webhook_id = ? AND state = 'dead'`)
        .run(now, webhookId).changes
      this.db.prepare(`UPDATE webhook_outbox SET next_attempt_at = ? WHERE webhook_id = ? AND state = 'pending' AND next_attempt_at > ?`).run(now, webhookId, now)
      return revived
    })()
  }

  async counts(webhookId: string): Promise<{ pending: number; dead: number }> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM webhook_outbox WHERE webhook_id = ? GROUP BY state').all(webhookId) as { state: string; n: number }[]
    return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, dead: rows.find((r) => r.state === 'dead')?.n ?? 0 }
  }

  async storedBodyCount(): Promise<number> {
    return Number((this.db.prepare('SELECT COUNT(*) AS n FROM webhook_bodies').get() as { n: number }).n)
  }

  async prune(keepAttempts: number): Promise<void> {
    this.db
      .prepare(
        `DELETE FROM webhook_attempts WHERE id IN (
           SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS rank FROM webhook_attempts) WHERE rank > ?)`,
      )
      .run(keepAttempts)
  }
}
