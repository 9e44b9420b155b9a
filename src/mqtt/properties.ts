/**
 * The one mapping between MQTT 5 PUBLISH properties on the wire (mqtt-packet's shape, used by aedes and mqtt.js) and
 * the core's MessageProperties. Topic alias and subscription identifiers stay on the wire.
 */
import type { MessageProperties } from '../ports/types.js'

/**
 * The properties of a PUBLISH as mqtt-packet writes them: the same fields as MessageProperties, the correlation bytes
 * in the runtime's packet writer's form.
 */
export type WireProperties = MessageProperties

/**
 * The properties a message carries, copied field by field with its correlation bytes turned into `correlation`'s
 * form (wire bytes, base64 text), or undefined when it carries none: the one place that lists which properties
 * travel, for the wire and for JSON alike.
 */
export function mapProperties<C>(
  p: MessageProperties | undefined,
  correlation: (bytes: Uint8Array) => C,
): (Omit<MessageProperties, 'correlationData'> & { correlationData?: C }) | undefined {
  if (!p) return undefined
  const out: Omit<MessageProperties, 'correlationData'> & { correlationData?: C } = {}
  if (p.contentType !== undefined) out.contentType = p.contentType
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = correlation(p.correlationData)
  if (p.userProperties !== undefined) out.userProperties = p.userProperties
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * The wire properties of a message, or undefined when it has none. `wireBytes` turns bytes into what the runtime's
 * packet writer wants (a Buffer view on Node, the Buffer shim in workerd).
 */
export function toWireProperties(p: MessageProperties | undefined, wireBytes: (bytes: Uint8Array) => Uint8Array): WireProperties | undefined {
  return mapProperties(p, wireBytes)
}

/**
 * The properties Postbridge carries, read from a packet. With `expiryAtMs` (a stored message's deadline) the Message
 * Expiry Interval is what is left of it at `nowMs` [MQTT-3.3.2-6].
 */
export function fromWireProperties(p: Record<string, unknown> | undefined, nowMs?: number, expiryAtMs?: number): MessageProperties | undefined {
  if (!p && expiryAtMs === undefined) return undefined
  const out: MessageProperties = {}
  if (typeof p?.contentType === 'string') out.contentType = p.contentType
  if (typeof p?.payloadFormatIndicator === 'boolean') out.payloadFormatIndicator = p.payloadFormatIndicator
  if (typeof p?.messageExpiryInterval === 'number') out.messageExpiryInterval = p.messageExpiryInterval
  if (expiryAtMs !== undefined) out.messageExpiryInterval = Math.max(0, Math.ceil((expiryAtMs - (nowMs ?? Date.now())) / 1000))
  if (typeof p?.responseTopic === 'string') out.responseTopic = p.responseTopic
  if (p?.correlationData !== undefined) out.correlationData = bytesOf(p.correlationData)
  if (p?.userProperties && typeof p.userProperties === 'object') out.userProperties = p.userProperties as Record<string, string | string[]>
  return Object.keys(out).length > 0 ? out : undefined
}

/** A copy as a plain Uint8Array: the core gets its own bytes, not a slice of a socket buffer. */
export function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return new Uint8Array(data)
  if (typeof data === 'string') return new TextEncoder().encode(data)
  return new Uint8Array(0)
}
