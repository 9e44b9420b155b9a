/**
 * NotifierStore over SQL, the same on both runtimes: alert channels and their delivery log. Secrets given through the
 * API are kept as given (the file or the object's storage is private to Postbridge); `env:NAME` references stay
 * references and are read from the environment when an alert is sent.
 */
import { MAX_HISTORY, type DeliveryRecord, type HistoryQuery, type NotifierRecord, type NotifierStore } from '../../notify/ports.js'
import type { SqlDriver } from '../../sql.js'

type DefinitionRow = { spec: string; source: NotifierRecord['source']; created_at: number; updated_at: number }

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS notifiers (id TEXT PRIMARY KEY, spec TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS notifier_deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, notifier_id TEXT NOT NULL, at INTEGER NOT NULL, record TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS notifier_deliveries_by_notifier ON notifier_deliveries (notifier_id, seq)',
]

export class SqlNotifierStore implements NotifierStore {
  constructor(private readonly sql: SqlDriver) {
    for (const statement of SCHEMA) sql.run(statement)
  }

  async list(): Promise<NotifierRecord[]> {
    return this.sql.all<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM notifiers ORDER BY id').map(toRecord)
  }

  async get(id: string): Promise<NotifierRecord | undefined> {
    const row = this.sql.all<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM notifiers WHERE id = ?', id)[0]
    return row ? toRecord(row) : undefined
  }

  async put(record: NotifierRecord): Promise<void> {
    const { source, createdAt, updatedAt, ...spec } = record
    this.sql.run(
      `INSERT INTO notifiers (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, source = excluded.source, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      record.id,
      JSON.stringify(spec),
      source,
      createdAt,
      updatedAt,
    )
  }

  async remove(id: string): Promise<boolean> {
    return this.sql.transaction(() => {
      this.sql.run('DELETE FROM notifier_deliveries WHERE notifier_id = ?', id)
      return this.sql.run('DELETE FROM notifiers WHERE id = ?', id) > 0
    })
  }

  async recordDelivery(record: DeliveryRecord): Promise<void> {
    this.sql.transaction(() => {
      this.sql.run('INSERT INTO notifier_deliveries (notifier_id, at, record) VALUES (?, ?, ?)', record.notifierId, record.at, JSON.stringify(record))
      this.sql.run(
        'DELETE FROM notifier_deliveries WHERE notifier_id = ? AND seq <= (SELECT seq FROM notifier_deliveries WHERE notifier_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
        record.notifierId,
        record.notifierId,
        MAX_HISTORY,
      )
    })
  }

  async deliveries(notifierId: string, query: HistoryQuery): Promise<DeliveryRecord[]> {
    return this.sql
      .all<{ record: string }>(
        'SELECT record FROM notifier_deliveries WHERE notifier_id = ? AND at < ? ORDER BY seq DESC LIMIT ?',
        notifierId,
        query.before ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      )
      .map((r) => JSON.parse(r.record) as DeliveryRecord)
  }
}

function toRecord(row: DefinitionRow): NotifierRecord {
  return {
    ...(JSON.parse(row.spec) as Omit<NotifierRecord, 'source' | 'createdAt' | 'updatedAt'>),
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  } as NotifierRecord
}
