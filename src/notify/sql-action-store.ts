/** ActionStore over SQL: the same on both runtimes. `take` is one UPDATE, so two presses cannot both win. */
import type { SqlDriver } from '../sql.js'
import type { ActionRecord, ActionStore } from './actions.js'

type Row = {
  hash: string
  label: string
  topic: string | null
  payload: string
  qos: number
  retain: number
  sensor_id: string
  alert_id: string
  expires_at: number
  used_at: number | null
}

export class SqlActionStore implements ActionStore {
  constructor(private readonly sql: SqlDriver) {
    sql.run(`CREATE TABLE IF NOT EXISTS alert_actions (
      hash TEXT PRIMARY KEY,
      label TEXT NOT NULL,
      topic TEXT,
      payload TEXT NOT NULL,
      qos INTEGER NOT NULL,
      retain INTEGER NOT NULL,
      sensor_id TEXT NOT NULL,
      alert_id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER
    )`)
  }

  async put(r: ActionRecord): Promise<void> {
    this.sql.run(
      'INSERT INTO alert_actions (hash, label, topic, payload, qos, retain, sensor_id, alert_id, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      r.hash,
      r.label,
      r.topic ?? null,
      r.payload,
      r.qos,
      r.retain ? 1 : 0,
      r.sensorId,
      r.alertId,
      r.expiresAt,
      r.usedAt ?? null,
    )
  }

  async get(hash: string): Promise<ActionRecord | undefined> {
    const row = this.sql.all<Row>('SELECT * FROM alert_actions WHERE hash = ?', hash)[0]
    if (!row) return undefined
    return {
      hash: row.hash,
      label: row.label,
      ...(row.topic !== null ? { topic: row.topic } : {}),
      payload: row.payload,
      qos: row.qos as 0 | 1 | 2,
      retain: row.retain === 1,
      sensorId: row.sensor_id,
      alertId: row.alert_id,
      expiresAt: row.expires_at,
      ...(row.used_at !== null ? { usedAt: row.used_at } : {}),
    }
  }

  async take(hash: string, now: number): Promise<boolean> {
    return this.sql.run('UPDATE alert_actions SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ?', now, hash, now) === 1
  }

  async release(hash: string): Promise<void> {
    this.sql.run('UPDATE alert_actions SET used_at = NULL WHERE hash = ?', hash)
  }

  async prune(before: number): Promise<void> {
    this.sql.run('DELETE FROM alert_actions WHERE expires_at < ?', before)
  }
}
