/** The last retained message of each topic the edge saw, in Durable Object SQLite: GET /v1/retained answers from here. */
import { withoutStableId } from '../../src/message-id.js'
import type { Message } from '../../src/ports/types.js'
import { matchTopic } from '../../src/topic/match.js'
import { messageFromColumns, messageToColumns, type MessageColumns } from './message-row.js'

export class RetainedStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS retained (
      topic TEXT PRIMARY KEY,
      payload BLOB NOT NULL,
      qos INTEGER NOT NULL,
      retain INTEGER NOT NULL,
      properties TEXT,
      updated_at INTEGER NOT NULL
    )`)
  }

  /** Keeps a retained message; an empty payload clears the topic, as in MQTT [MQTT-3.3.1-6]. */
  apply(message: Message, now: number): void {
    if (!message.retain) return
    if (message.payload.byteLength === 0) {
      this.clear(message.topic)
      return
    }
    const c = messageToColumns(message)
    this.sql.exec(
      'INSERT OR REPLACE INTO retained (topic, payload, qos, retain, properties, updated_at) VALUES (?, ?, ?, 1, ?, ?)',
      c.topic,
      c.payload,
      c.qos,
      c.properties,
      now,
    )
  }

  /** Whether the edge holds exactly this retained value already (payload and properties, stable id aside). */
  holdsSame(message: Message): boolean {
    const row = this.sql
      .exec<MessageColumns>('SELECT topic, payload, qos, retain, properties FROM retained WHERE topic = ?', message.topic)
      .toArray()[0]
    if (!row) return message.payload.byteLength === 0
    const held = withoutStableId(messageFromColumns(row))
    const a = messageToColumns(held)
    const b = messageToColumns(withoutStableId(message))
    return a.properties === b.properties && a.qos === b.qos && bytesEqual(new Uint8Array(a.payload), new Uint8Array(b.payload))
  }

  clear(topicName: string): void {
    this.sql.exec('DELETE FROM retained WHERE topic = ?', topicName)
  }

  matching(topicFilter: string): Message[] {
    const rows = /[+#]/.test(topicFilter)
      ? this.sql.exec<MessageColumns>('SELECT topic, payload, qos, retain, properties FROM retained ORDER BY topic').toArray()
      : this.sql.exec<MessageColumns>('SELECT topic, payload, qos, retain, properties FROM retained WHERE topic = ?', topicFilter).toArray()
    return rows.filter((r) => matchTopic(topicFilter, r.topic)).map(messageFromColumns)
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM retained').one().n
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
