/**
 * NotifierStore over SQL, the same on both runtimes: alert channels and their delivery log. Secrets given through the
 * API are kept as given (the file or the object's storage is private to Postbridge); `env:NAME` references stay
 * references and are read from the environment when an alert is sent.
 */
import { MAX_HISTORY, type DeliveryRecord, type HistoryQuery, type NotifierRecord, type NotifierStore } from '../../notify/ports.js'
import type { SqlDriver } from '../../sql.js'
import { SqlDefinitionTable, trimHistory } from './definition-table.js'

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS notifier_deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, notifier_id TEXT NOT NULL, at INTEGER NOT NULL, record TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS notifier_deliveries_by_notifier ON notifier_deliveries (notifier_id, seq)',
]

export class SqlNotifierStore implements NotifierStore {
  private readonly definitions: SqlDefinitionTable<NotifierRecord>

  constructor(private readonly sql: SqlDriver) {
    this.definitions = new SqlDefinitionTable(sql, 'notifiers')
    for (const statement of SCHEMA) sql.run(statement)
  }

  async list(): Promise<NotifierRecord[]> {
    return this.definitions.list()
  }

  async get(id: string): Promise<NotifierRecord | undefined> {
    return this.definitions.get(id)
  }

  async put(record: NotifierRecord): Promise<void> {
    this.definitions.put(record)
  }

  async remove(id: string): Promise<boolean> {
    return this.sql.transaction(() => {
      this.sql.run('DELETE FROM notifier_deliveries WHERE notifier_id = ?', id)
      return this.definitions.delete(id)
    })
  }

  async recordDelivery(record: DeliveryRecord): Promise<void> {
    this.sql.transaction(() => {
      this.sql.run('INSERT INTO notifier_deliveries (notifier_id, at, record) VALUES (?, ?, ?)', record.notifierId, record.at, JSON.stringify(record))
      trimHistory(this.sql, 'notifier_deliveries', 'notifier_id', record.notifierId, MAX_HISTORY)
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
