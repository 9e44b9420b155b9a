/**
 * SensorStore over SQL, the same on both runtimes: better-sqlite3 at home (broker/store/sensors-sqlite.ts), Durable
 * Object SQLite at the edge (worker/stores/sensor-store.ts). Definitions and state are JSON: the core owns their shape, the
 * store only keeps them.
 */
import type { SensorEvent, SensorState } from '../../notify/model.js'
import { MAX_HISTORY, type HistoryQuery, type SensorRecord, type SensorStore } from '../../notify/ports.js'
import type { SqlDriver } from '../../sql.js'
import { SqlDefinitionTable, trimHistory } from './definition-table.js'

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS sensor_state (sensor_id TEXT PRIMARY KEY, state TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS sensor_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sensor_id TEXT NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS sensor_events_by_sensor ON sensor_events (sensor_id, seq)',
]

export class SqlSensorStore implements SensorStore {
  private readonly definitions: SqlDefinitionTable<SensorRecord>

  constructor(private readonly sql: SqlDriver) {
    this.definitions = new SqlDefinitionTable(sql, 'sensors')
    for (const statement of SCHEMA) sql.run(statement)
  }

  async list(): Promise<SensorRecord[]> {
    return this.definitions.list()
  }

  async get(id: string): Promise<SensorRecord | undefined> {
    return this.definitions.get(id)
  }

  async put(record: SensorRecord): Promise<void> {
    this.definitions.put(record)
  }

  async remove(id: string): Promise<boolean> {
    return this.sql.transaction(() => {
      this.sql.run('DELETE FROM sensor_state WHERE sensor_id = ?', id)
      this.sql.run('DELETE FROM sensor_events WHERE sensor_id = ?', id)
      return this.definitions.delete(id)
    })
  }

  async state(id: string): Promise<SensorState | undefined> {
    const row = this.sql.all<{ state: string }>('SELECT state FROM sensor_state WHERE sensor_id = ?', id)[0]
    return row ? (JSON.parse(row.state) as SensorState) : undefined
  }

  /** The state and its events in one transaction: all or nothing. */
  async commit(id: string, state: SensorState, events: SensorEvent[]): Promise<void> {
    this.sql.transaction(() => {
      this.sql.run(
        'INSERT INTO sensor_state (sensor_id, state) VALUES (?, ?) ON CONFLICT (sensor_id) DO UPDATE SET state = excluded.state',
        id,
        JSON.stringify(state),
      )
      if (events.length === 0) return
      for (const e of events)
        this.sql.run('INSERT INTO sensor_events (id, sensor_id, at, event) VALUES (?, ?, ?, ?)', e.id, id, e.at, JSON.stringify(e))
      trimHistory(this.sql, 'sensor_events', 'sensor_id', id, MAX_HISTORY)
    })
  }

  async events(id: string, query: HistoryQuery): Promise<SensorEvent[]> {
    return this.sql
      .all<{ event: string }>(
        'SELECT event FROM sensor_events WHERE sensor_id = ? AND at < ? ORDER BY seq DESC LIMIT ?',
        id,
        query.before ?? Number.MAX_SAFE_INTEGER,
        query.limit,
      )
      .map((r) => JSON.parse(r.event) as SensorEvent)
  }
}
