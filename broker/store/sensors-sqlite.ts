/** SensorStore over SQLite: definitions, the state of each sensor, and its event log. */
import type { SensorEvent, SensorState } from '../../src/notify/model.js'
import { MAX_HISTORY, type HistoryQuery, type SensorRecord, type SensorStore } from '../../src/notify/ports.js'
import type { Db } from './db.js'

interface DefinitionRow {
  spec: string
  source: SensorRecord['source']
  created_at: number
  updated_at: number
}

export class SqliteSensorStore implements SensorStore {
  constructor(private readonly db: Db) {
    // Definitions and state are JSON: the core owns their shape, the store only keeps them.
    db.exec(`CREATE TABLE IF NOT EXISTS sensors (
      id TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      source TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sensor_state (
      sensor_id TEXT PRIMARY KEY,
      state TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS sensor_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      sensor_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      event TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sensor_events_by_sensor ON sensor_events (sensor_id, seq);`)
  }

  async list(): Promise<SensorRecord[]> {
    return (this.db.prepare('SELECT spec, source, created_at, updated_at FROM sensors ORDER BY id').all() as DefinitionRow[]).map(toRecord)
  }

  async get(id: string): Promise<SensorRecord | undefined> {
    const row = this.db.prepare('SELECT spec, source, created_at, updated_at FROM sensors WHERE id = ?').get(id) as DefinitionRow | undefined
    return row ? toRecord(row) : undefined
  }

  async put(record: SensorRecord): Promise<void> {
    const { source, createdAt, updatedAt, ...spec } = record
    this.db
      .prepare(
        `INSERT INTO sensors (id, spec, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, source = excluded.source, created_at = excluded.created_at, updated_at = excluded.updated_at`,
      )
      .run(record.id, JSON.stringify(spec), source, createdAt, updatedAt)
  }

  async remove(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM sensor_state WHERE sensor_id = ?').run(id)
      this.db.prepare('DELETE FROM sensor_events WHERE sensor_id = ?').run(id)
      return this.db.prepare('DELETE FROM sensors WHERE id = ?').run(id).changes > 0
    })()
  }

  async state(id: string): Promise<SensorState | undefined> {
    const row = this.db.prepare('SELECT state FROM sensor_state WHERE sensor_id = ?').get(id) as { state: string } | undefined
    return row ? (JSON.parse(row.state) as SensorState) : undefined
  }

  async commit(id: string, state: SensorState, events: SensorEvent[]): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO sensor_state (sensor_id, state) VALUES (?, ?) ON CONFLICT (sensor_id) DO UPDATE SET state = excluded.state').run(id, JSON.stringify(state))
      if (events.length === 0) return
      const insert = this.db.prepare('INSERT INTO sensor_events (id, sensor_id, at, event) VALUES (?, ?, ?, ?)')
      for (const e of events) insert.run(e.id, id, e.at, JSON.stringify(e))
      this.db
        .prepare('DELETE FROM sensor_events WHERE sensor_id = ? AND seq <= (SELECT seq FROM sensor_events WHERE sensor_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)')
        .run(id, id, MAX_HISTORY)
    })()
  }

  async events(id: string, query: HistoryQuery): Promise<SensorEvent[]> {
    const rows = this.db
      .prepare('SELECT event FROM sensor_events WHERE sensor_id = ? AND at < ? ORDER BY seq DESC LIMIT ?')
      .all(id, query.before ?? Number.MAX_SAFE_INTEGER, query.limit) as { event: string }[]
    return rows.map((r) => JSON.parse(r.event) as SensorEvent)
  }
}

function toRecord(row: DefinitionRow): SensorRecord {
  return { ...(JSON.parse(row.spec) as Omit<SensorRecord, 'source' | 'createdAt' | 'updatedAt'>), source: row.source, createdAt: row.created_at, updatedAt: row.updated_at }
}
