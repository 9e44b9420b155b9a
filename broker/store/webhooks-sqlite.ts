/**
 * WebhookStore in the home node's SQLite file: the one SQL store (src/stores/sql/webhook-store.ts) over better-sqlite3,
 * on a connection of its own.
 *
 * Durability: an fsync per message (synchronous=FULL) caps the outbox at a few hundred messages a second on an SD
 * card and wears it. By default the store has its own connection with synchronous=NORMAL: a commit is in the OS
 * before the acknowledgement (a killed process loses nothing), and the WAL is fsynced off the event loop at most
 * syncIntervalMs after a write (a power cut loses at most that window; an idle node does not fsync, wal-sync.ts).
 * The broker's LevelDB store never fsyncs at all.
 * syncIntervalMs: 0 uses the shared connection as opened (synchronous=FULL: every commit waits for the disk).
 */
import Database from 'better-sqlite3'
import { SqlWebhookStore } from '../../src/stores/sql/webhook-store.js'
import type { Db } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'
import { WalSync, type FsyncFn } from './wal-sync.js'

export interface SqliteWebhookStoreOptions {
  /** How long after a write its WAL fsync may wait (ms); 0: every commit waits for its fsync. */
  syncIntervalMs?: number
  /** Injected for tests. */
  fsync?: FsyncFn
}

export const DEFAULT_SYNC_INTERVAL_MS = 100

/** The store's own synchronous=NORMAL connection, and what syncs its WAL. */
interface OwnConnection {
  db: Db
  wal: WalSync
}

export class SqliteWebhookStore extends SqlWebhookStore {
  private readonly own: OwnConnection | undefined

  constructor(shared: Db, options: SqliteWebhookStoreOptions = {}) {
    const own = openOwnConnection(shared, options)
    super(betterSqliteDriver(own?.db ?? shared), { written: () => own?.wal.touched() })
    this.own = own
  }

  /** Makes every commit so far survive a power cut (each commit already does with syncIntervalMs 0). */
  sync(): Promise<void> {
    return this.own?.wal.sync() ?? Promise.resolve()
  }

  /** Syncs, then closes the store's own connection (the shared one belongs to whoever opened it). */
  async close(): Promise<void> {
    if (!this.own) return
    await this.own.wal.close()
    this.own.db.close()
  }
}

function openOwnConnection(shared: Db, options: SqliteWebhookStoreOptions): OwnConnection | undefined {
  const interval = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS
  if (interval <= 0 || shared.memory) return undefined
  // synchronous is per connection: the shared one keeps FULL for tokens and users.
  const db = new Database(shared.name)
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  const wal = new WalSync(`${shared.name}-wal`, { withinMs: interval, fsync: options.fsync })
  return { db, wal }
}
