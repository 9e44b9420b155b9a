/**
 * SensorStore over SQL, the same on both runtimes: better-sqlite3 at home (broker/store/sensors-sqlite.ts), Durable
 * Object SQLite at the edge (worker/stores/sensor-store.ts). Definitions and state are JSON: the core owns their shape, the
 * store only keeps them.
 */
import type { SensorEvent, SensorState } from '../../notify/model.js'
import { MAX_HISTORY, type HistoryQuery, type SensorRecord, type SensorStore } from '../../notify/ports.js'
import type { SqlDriver } from '../../sql.js'

type DefinitionRow = { spec: string; source: SensorRecord['source']; created_at: number; updated_at: number }

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS sensors (id TEXT PRIMARY KEY, spec TEXT NOT NULL, source TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS sensor_state (sensor_id TEXT PRIMARY KEY, state TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS sensor_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, sensor_id TEXT NOT NULL, at INTEGER NOT NULL, event TEXT NOT NULL)`,
  'CREATE INDEX IF NOT EXISTS sensor_events_by_sensor ON sensor_events (sensor_id, seq)',
]

export class SqlSensorStore implements SensorStore {
  constructor(private readonly sql: SqlDriver) {
    for (const statement of SCHEMA) sql.run(statement)
  }

  async list(): Promise<SensorRecord[]> {
    return this.sql.all<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM sensors ORDER BY id').map(toRecord)
  }

  async get(id: string): Promise<SensorRecord | undefined> {
    const row = this.sql.all<DefinitionRow>('SELECT spec, source, created_at, updated_at FROM sensors WHERE id = ?', id)[0]
    return row ? toRecord(row) : undefined
  }

  async put(record: SensorRecord): Promise<void> {
    const { source, createdAt, updatedAt, ...spec } = record
    this.sql.run(
      `INSERT INTO sensors (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
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
      this.sql.run('DELETE FROM sensor_state WHERE sensor_id = ?', id)
      this.sql.run('DELETE FROM sensor_events WHERE sensor_id = ?', id)
      return this.sql.run('DELETE FROM sensors WHERE id = ?', id) > 0
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
      this.sql.run(
        'DELETE FROM sensor_events WHERE sensor_id = ? AND seq <= (SELECT seq FROM sensor_events WHERE sensor_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
        id,
        id,
        MAX_HISTORY,
      )
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

function toRecord(row: DefinitionRow): SensorRecord {
  return {
    ...(JSON.parse(row.spec) as Omit<SensorRecord, 'source' | 'createdAt' | 'updatedAt'>),
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
