/**
 * Publishes made at the edge, held in Durable Object SQLite until home acknowledges them.
 * Every publish goes through here, online or not, so that delivery order is the order of `seq`.
 */
import type { Message } from '../../src/ports/types.js'
import { messageFromColumns, messageToColumns, type MessageColumns } from './message-row.js'

export interface QueuedMessage {
  seq: number
  id: string
  message: Message
  queuedAt: number
  expiresAt: number
  /** The MQTT packet id this message travels with on the link. */
  packetId: number
  /** The connection it was last sent on; null when never sent. */
  sentOn: string | null
}

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the edge queue is full (${limit} messages wait for home)`)
  }
}

type Row = MessageColumns & { seq: number; id: string; queued_at: number; expires_at: number; packet_id: number; sent_on: string | null }

const COLUMNS = 'seq, id, topic, payload, qos, retain, properties, queued_at, expires_at, packet_id, sent_on'

export class EdgeQueue {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS edge_queue (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL,
      topic TEXT NOT NULL,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      retain INTEGER NOT NULL,
      properties TEXT,
      queued_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      packet_id INTEGER NOT NULL,
      sent_on TEXT
    )`)
    sql.exec('CREATE INDEX IF NOT EXISTS edge_queue_expiry ON edge_queue (expires_at)')
  }

  /**
   * Holds a message; refuses it when `maxCount` wait already. It expires after `maxAgeMs`, or sooner when its
   * MQTT 5 messageExpiryInterval says so [MQTT-3.3.2-5].
   */
  enqueue(id: string, message: Message, now: number, limits: { maxCount: number; maxAgeMs: number }): QueuedMessage {
    if (this.count() >= limits.maxCount) throw new QueueFullError(limits.maxCount)
    const expiryS = message.properties?.messageExpiryInterval
    const ageMs = expiryS !== undefined ? Math.min(limits.maxAgeMs, expiryS * 1000) : limits.maxAgeMs
    const c = messageToColumns(message)
    const { seq } = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO edge_queue (id, topic, payload, qos, retain, properties, queued_at, expires_at, packet_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING seq`,
        id,
        c.topic,
        c.payload,
        c.qos,
        c.retain,
        c.properties,
        now,
        now + ageMs,
      )
      .one()
    // 16-bit packet ids, never 0 [MQTT-2.2.1-3]; the count bound keeps the live ones distinct.
    const packetId = ((seq - 1) % 65535) + 1
    this.sql.exec('UPDATE edge_queue SET packet_id = ? WHERE seq = ?', packetId, seq)
    return { seq, id, message, queuedAt: now, expiresAt: now + ageMs, packetId, sentOn: null }
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM edge_queue').one().n
  }

  /**
   * Messages not yet sent on this connection, oldest first. Sends go in seq order, so none after `afterSeq` (the last
   * sent on it) was: the primary key starts there instead of walking past what waits for its PUBACK.
   */
  unsent(connection: string, limit: number, afterSeq = 0): QueuedMessage[] {
    if (limit <= 0) return []
    return this.sql
      .exec<Row>(
        `SELECT ${COLUMNS} FROM edge_queue WHERE seq > ? AND (sent_on IS NULL OR sent_on != ?) ORDER BY seq LIMIT ?`,
        afterSeq,
        connection,
        limit,
      )
      .toArray()
      .map(fromRow)
  }

  /** How many were sent on this connection and wait for their PUBACK. */
  inflight(connection: string): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM edge_queue WHERE sent_on = ?', connection).one().n
  }

  markSent(seq: number, connection: string): void {
    this.sql.exec('UPDATE edge_queue SET sent_on = ? WHERE seq = ?', connection, seq)
  }

  /**
   * Marks a batch from unsent() sent on this connection, in one statement: the batch is every message of its seq
   * range not sent on this connection yet (sends go in seq order).
   */
  markSentRange(firstSeq: number, lastSeq: number, connection: string): void {
    this.sql.exec(
      'UPDATE edge_queue SET sent_on = ? WHERE seq BETWEEN ? AND ? AND (sent_on IS NULL OR sent_on != ?)',
      connection,
      firstSeq,
      lastSeq,
      connection,
    )
  }

  /** The message sent on this connection with this packet id, still held (not removed). */
  findSent(packetId: number, connection: string): QueuedMessage | undefined {
    const row = this.sql
      .exec<Row>(`SELECT ${COLUMNS} FROM edge_queue WHERE packet_id = ? AND sent_on = ? ORDER BY seq LIMIT 1`, packetId, connection)
      .toArray()[0]
    return row ? fromRow(row) : undefined
  }

  /** Seq and packet id of every message sent on this connection and still held. */
  sentOn(connection: string): { seq: number; packetId: number }[] {
    return this.sql
      .exec<{ seq: number; packet_id: number }>('SELECT seq, packet_id FROM edge_queue WHERE sent_on = ? ORDER BY seq', connection)
      .toArray()
      .map((r) => ({ seq: r.seq, packetId: r.packet_id }))
  }

  /** Removes acknowledged messages, in one statement. */
  removeMany(seqs: number[]): void {
    // Durable Object SQLite takes at most 100 bound parameters per statement.
    for (let i = 0; i < seqs.length; i += 90) {
      const part = seqs.slice(i, i + 90)
      this.sql.exec(`DELETE FROM edge_queue WHERE seq IN (${part.map(() => '?').join(',')})`, ...part)
    }
  }

  /** Removes the message home acknowledged with this packet id on this connection. */
  ack(packetId: number, connection: string): QueuedMessage | undefined {
    const row = this.sql
      .exec<Row>(`SELECT ${COLUMNS} FROM edge_queue WHERE packet_id = ? AND sent_on = ? ORDER BY seq LIMIT 1`, packetId, connection)
      .toArray()[0]
    if (!row) return undefined
    this.sql.exec('DELETE FROM edge_queue WHERE seq = ?', row.seq)
    return fromRow(row)
  }

  /** Removes and returns the messages whose time is up. */
  dropExpired(now: number): QueuedMessage[] {
    // The index answers "anything due?" at once; the query below would walk the queue in seq order to find out.
    const next = this.nextExpiry()
    if (next === undefined || next > now) return []
    const rows = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM edge_queue WHERE expires_at <= ? ORDER BY seq`, now).toArray()
    if (rows.length > 0) this.sql.exec('DELETE FROM edge_queue WHERE expires_at <= ?', now)
    return rows.map(fromRow)
  }

  /** When the next message expires, for the alarm. */
  nextExpiry(): number | undefined {
    const row = this.sql.exec<{ t: number | null }>('SELECT MIN(expires_at) AS t FROM edge_queue').one()
    return row.t ?? undefined
  }

  /** When the oldest waiting message was queued (for /v1/health). */
  oldestQueuedAt(): number | undefined {
    const row = this.sql.exec<{ t: number | null }>('SELECT MIN(queued_at) AS t FROM edge_queue').one()
    return row.t ?? undefined
  }
}

function fromRow(row: Row): QueuedMessage {
  return {
    seq: row.seq,
    id: row.id,
    message: messageFromColumns(row),
    queuedAt: row.queued_at,
    expiresAt: row.expires_at,
    packetId: row.packet_id,
    sentOn: row.sent_on,
  }
}
