/** The JSON shape of an MQTT message on the HTTP side (retained, request replies, SSE, webhooks). */
import { mapProperties } from './mqtt/properties.js'
import type { Message, MessageProperties, Qos } from './ports/types.js'
import { fromBase64, toBase64, tryDecodeUtf8 } from './util/bytes.js'

export interface PropertiesJson {
  contentType?: string
  payloadFormatIndicator?: boolean
  messageExpiryInterval?: number
  responseTopic?: string
  /** base64 of the correlation bytes */
  correlationData?: string
  userProperties?: Record<string, string | string[]>
}

export interface MessageEnvelope {
  topic: string
  /** UTF-8 text when the bytes are valid UTF-8, else base64 */
  payload: string
  encoding: 'utf8' | 'base64'
  qos: Qos
  retain: boolean
  properties?: PropertiesJson
}

export function propertiesToJson(p: MessageProperties | undefined): PropertiesJson | undefined {
  return mapProperties(p, toBase64)
}

/** Undefined when correlationData is not base64. */
export function propertiesFromJson(p: PropertiesJson | undefined): MessageProperties | undefined {
  if (!p) return undefined
  const { correlationData, ...rest } = p
  const out: MessageProperties = { ...rest }
  if (correlationData !== undefined) {
    const bytes = fromBase64(correlationData)
    if (!bytes) return undefined
    out.correlationData = bytes
  }
  return out
}

export function toEnvelope(message: Message): MessageEnvelope {
  const text = tryDecodeUtf8(message.payload)
  const properties = propertiesToJson(message.properties)
  return {
    topic: message.topic,
    payload: text ?? toBase64(message.payload),
    encoding: text === undefined ? 'base64' : 'utf8',
    qos: message.qos,
    retain: message.retain,
    ...(properties ? { properties } : {}),
  }
}

/** The content type to answer a raw payload with: the MQTT 5 property, else text for UTF-8, else bytes. */
export function contentTypeOf(message: Message): string {
  if (message.properties?.contentType) return message.properties.contentType
  return tryDecodeUtf8(message.payload) === undefined ? 'application/octet-stream' : 'text/plain; charset=utf-8'
}
