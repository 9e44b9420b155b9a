/**
 * NotifierStore over SQLite: channel definitions and their delivery log. Secrets given through the API are kept
 * here as given (the file lives in the data directory, like the broker's state); `env:NAME` references are kept
 * as references.
 */
import { MAX_HISTORY, type DeliveryRecord, type HistoryQuery, type NotifierRecord, type NotifierStore } from '../../src/notify/ports.js'
import type { Db } from './db.js'

interface DefinitionRow {
  spec: string
  source: NotifierRecord['source']
  created_at: number
  updated_at: number
}

export class SqliteNotifierStore implements NotifierStore {
  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS notifiers (
      id TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      source TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS notifier_deliveries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      notifier_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      record TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS notifier_deliveries_by_notifier ON notifier_deliveries (notifier_id, seq);`)
  }

  async list(): Promise<NotifierRecord[]> {
    return (this.db.prepare('SELECT spec, source, created_at, updated_at FROM notifiers ORDER BY id').all() as DefinitionRow[]).map(toRecord)
  }

  async get(id: string): Promise<NotifierRecord | undefined> {
    const row = this.db.prepare('SELECT spec, source, created_at, updated_at FROM notifiers WHERE id = ?').get(id) as DefinitionRow | undefined
    return row ? toRecord(row) : undefined
  }

  async put(record: NotifierRecord): Promise<void> {
    const { source, createdAt, updatedAt, ...spec } = record
    this.db
      .prepare(
        `INSERT INTO notifiers (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, source = excluded.source, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      )
      .run(record.id, JSON.stringify(spec), source, createdAt, updatedAt)
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM notifier_deliveries WHERE notifier_id = ?').run(id)
      return this.db.prepare('DELETE FROM notifiers WHERE id = ?').run(id).changes > 0
    })()
  }

  async recordDelivery(record: DeliveryRecord): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO notifier_deliveries (notifier_id, at, record) VALUES (?, ?, ?)').run(record.notifierId, record.at, JSON.stringify(record))
      this.db
        .prepare('DELETE FROM notifier_deliveries WHERE notifier_id = ? AND seq <= (SELECT seq FROM notifier_deliveries WHERE notifier_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)')
        .run(record.notifierId, record.notifierId, MAX_HISTORY)
    })()
  }

  async deliveries(notifierId: string, query: HistoryQuery): Promise<DeliveryRecord[]> {
    const rows = this.db
      .prepare('SELECT record FROM notifier_deliveries WHERE notifier_id = ? AND at < ? ORDER BY seq DESC LIMIT ?')
      .all(notifierId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit) as { record: string }[]
    return rows.map((r) => JSON.parse(r.record) as DeliveryRecord)
  }
}

function toRecord(row: DefinitionRow): NotifierRecord {
  return { ...(JSON.parse(row.spec) as Omit<NotifierRecord, 'source' | 'createdAt' | 'updatedAt'>), source: row.source, createdAt: row.created_at, updatedAt: row.updated_at } as NotifierRecord
}
