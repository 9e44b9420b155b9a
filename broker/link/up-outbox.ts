/**
 * Messages on their way up to the edge, in SQLite (the home node's database): a message stays here until the edge
 * acknowledged it, so a dead link or a restart loses nothing; after the link is back they go again in order.
 * Bounded by count: when full the oldest is dropped, and counted.
 */
import type Database from 'better-sqlite3'
import { propertiesFromJson, propertiesToJson } from '../../src/message.js'
import type { Message, Qos } from '../../src/ports/types.js'

export interface OutboxRow {
  seq: number
  message: Message
  /** A retained-state copy sent on connect: replaced by the next connect's copy when not yet acknowledged. */
  sync: boolean
}

type Row = { seq: number; topic: string; payload: Buffer; qos: number; retain: number; properties: string | null; sync: number }

export class UpOutbox {
  /** Messages the bound dropped since start. */
  dropped = 0

  constructor(
    private readonly db: Database.Database,
    private readonly maxCount: number,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS edge_up_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      retain INTEGER NOT NULL,
      properties TEXT,
      sync INTEGER NOT NULL DEFAULT 0
    )`)
  }

  /** Holds a message (it carries its stable id already); returns its seq. Drops the oldest beyond the bound. */
  append(message: Message, sync = false): number {
    const properties = propertiesToJson(message.properties)
    const { lastInsertRowid } = this.db
      .prepare('INSERT INTO edge_up_outbox (topic, payload, qos, retain, properties, sync) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        message.topic,
        Buffer.from(message.payload),
        message.qos,
        message.retain ? 1 : 0,
        properties ? JSON.stringify(properties) : null,
        sync ? 1 : 0,
      )
    const over = this.count() - this.maxCount
    if (over > 0) {
      this.db.prepare('DELETE FROM edge_up_outbox WHERE seq IN (SELECT seq FROM edge_up_outbox ORDER BY seq LIMIT ?)').run(over)
      this.dropped += over
    }
    return Number(lastInsertRowid)
  }

  /** Forgets the retained-state copies a previous connect left unacknowledged (the next sync sends fresh ones). */
  removeSync(): void {
    this.db.prepare('DELETE FROM edge_up_outbox WHERE sync = 1').run()
  }

  /** Up to `limit` messages after `afterSeq`, oldest first. */
  after(afterSeq: number, limit: number): OutboxRow[] {
    const rows = this.db
      .prepare('SELECT seq, topic, payload, qos, retain, properties, sync FROM edge_up_outbox WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as Row[]
    return rows.map((r) => {
      const properties = r.properties ? propertiesFromJson(JSON.parse(r.properties)) : undefined
      const message: Message = {
        topic: r.topic,
        payload: new Uint8Array(r.payload),
        qos: r.qos as Qos,
        retain: r.retain === 1,
        ...(properties ? { properties } : {}),
      }
      return { seq: r.seq, message, sync: r.sync === 1 }
    })
  }

  remove(seq: number): void {
    this.db.prepare('DELETE FROM edge_up_outbox WHERE seq = ?').run(seq)
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM edge_up_outbox').get() as { n: number }).n
  }
}
