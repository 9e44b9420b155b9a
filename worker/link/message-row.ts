/** A Message as SQLite columns in Durable Object storage, and back. */
import { propertiesFromJson, propertiesToJson } from '../../src/message.js'
import type { Message, Qos } from '../../src/ports/types.js'

export type MessageColumns = {
  topic: string
  payload: ArrayBuffer
  qos: number
  retain: number
  /** JSON of the MQTT 5 properties (correlation data as base64), or null. */
  properties: string | null
}

export function messageToColumns(message: Message): MessageColumns {
  const properties = propertiesToJson(message.properties)
  return {
    topic: message.topic,
    // A copy: the payload may be a view into a larger buffer, and storage takes the whole ArrayBuffer.
    payload: message.payload.slice().buffer as ArrayBuffer,
    qos: message.qos,
    retain: message.retain ? 1 : 0,
    properties: properties ? JSON.stringify(properties) : null,
  }
}

export function messageFromColumns(row: MessageColumns): Message {
  const properties = row.properties ? propertiesFromJson(JSON.parse(row.properties)) : undefined
  return {
    topic: row.topic,
    payload: new Uint8Array(row.payload),
    qos: row.qos as Qos,
    retain: row.retain === 1,
    ...(properties ? { properties } : {}),
  }
}
