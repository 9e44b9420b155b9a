/** SensorStore in Durable Object SQLite: door sensors at the edge, their state and event log. */
import type { SensorEvent, SensorState } from '../src/notify/model.js'
import { MAX_HISTORY, type HistoryQuery, type SensorRecord, type SensorStore } from '../src/notify/ports.js'

type DefinitionRow = { spec: string; source: SensorRecord['source']; created_at: number; updated_at: number }

// The same tables as the home node's store (broker/store/sensors-sqlite.ts). Definitions and state are JSON: the
// core owns their shape, the store only keeps them.
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS sensors (id TEXT PRIMARY KEY, spec TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS sensor_state (sensor_id TEXT PRIMARY KEY, state TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS sensor_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sensor_id TEXT NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS sensor_events_by_sensor ON sensor_events (sensor_id, seq)',
]

export class DurableSensorStore implements SensorStore {
  private readonly sql: SqlStorage

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql
    for (const statement of SCHEMA) this.sql.exec(statement)
  }

  async list(): Promise<SensorRecord[]> {
    return this.sql.exec<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM sensors ORDER BY id').toArray().map(toRecord)
  }

  async get(id: string): Promise<SensorRecord | undefined> {
    const row = this.sql.exec<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM sensors WHERE id = ?', id).toArray()[0]
    return row ? toRecord(row) : undefined
  }

  async put(record: SensorRecord): Promise<void> {
    const { source, createdAt, updatedAt, ...spec } = record
    this.sql.exec('INSERT OR REPLACE INTO sensors (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', record.id, JSON.stringify(spec), source, createdAt, updatedAt)
  }

  async remove(id: string): Promise<boolean> {
    return this.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM sensor_state WHERE sensor_id = ?', id)
      this.sql.exec('DELETE FROM sensor_events WHERE sensor_id = ?', id)
      // Counted with RETURNING: rowsWritten also counts index rows.
      return this.sql.exec('DELETE FROM sensors WHERE id = ? RETURNING id', id).toArray().length > 0
    })
  }

  async state(id: string): Promise<SensorState | undefined> {
    const row = this.sql.exec<{ state: string }>('SELECT state FROM sensor_state WHERE sensor_id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.state) as SensorState) : undefined
  }

  async commit(id: string, state: SensorState, events: SensorEvent[]): Promise<void> {
    this.storage.transactionSync(() => {
      this.sql.exec('INSERT OR REPLACE INTO sensor_state (sensor_id, state) VALUES (?, ?)', id, JSON.stringify(state))
      if (events.length === 0) return
      for (const e of events) this.sql.exec('INSERT INTO sensor_events (id, sensor_id, at, event) VALUES (?, ?, ?, ?)', e.id, id, e.at, JSON.stringify(e))
      this.sql.exec(
        'DELETE FROM sensor_events WHERE sensor_id = ? AND seq <= (SELECT seq FROM sensor_events WHERE sensor_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
        id, id, MAX_HISTORY,
      )
    })
  }

  async events(id: string, query: HistoryQuery): Promise<SensorEvent[]> {
    return this.sql
      .exec<{ event: string }>('SELECT event FROM sensor_events WHERE sensor_id = ? AND at < ? ORDER BY seq DESC LIMIT ?', id, query.before ?? Number.MAX_SAFE_INTEGER, query.limit)
      .toArray()
      .map((r) => JSON.parse(r.event) as SensorEvent)
  }
}

function toRecord(row: DefinitionRow): SensorRecord {
  return { ...(JSON.parse(row.spec) as Omit<SensorRecord, 'source' | 'createdAt' | 'updatedAt'>), source: row.source, createdAt: row.created_at, updatedAt: row.updated_at }
}
