/**
 * A message's stable id: set once where the message enters Postbridge's link (home for what goes up, the edge for
 * what goes down), carried end to end as the MQTT 5 user property `postbridge-id`, so a resend of the same message
 * carries the same id and devices, SSE clients and webhook receivers (`webhook-id`) can drop repeats.
 */
import type { Message } from './ports/types.js'
import { randomBytes, toBase64Url } from './util/bytes.js'

export const MESSAGE_ID_PROPERTY = 'postbridge-id'

/** Time (so ids sort by creation) + randomness; URL-safe. */
export function newStableId(nowMs: number): string {
  return `${nowMs.toString(36).padStart(9, '0')}${toBase64Url(randomBytes(12))}`
}

/** The message's stable id, when it has one. */
export function stableIdOf(message: Message): string | undefined {
  const raw = message.properties?.userProperties?.[MESSAGE_ID_PROPERTY]
  const value = Array.isArray(raw) ? raw[0] : raw
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined
}

/** The message with this stable id (replacing any it had). */
export function withStableId(message: Message, id: string): Message {
  const properties = message.properties ?? {}
  return { ...message, properties: { ...properties, userProperties: { ...properties.userProperties, [MESSAGE_ID_PROPERTY]: id } } }
}

/** The message without its stable id (to compare two copies of one state). */
export function withoutStableId(message: Message): Message {
  const users = message.properties?.userProperties
  if (!users || !(MESSAGE_ID_PROPERTY in users)) return message
  const { [MESSAGE_ID_PROPERTY]: _dropped, ...rest } = users
  const { userProperties: _u, ...props } = message.properties!
  const properties = Object.keys(rest).length > 0 ? { ...props, userProperties: rest } : props
  const { properties: _p, ...bare } = message
  return Object.keys(properties).length > 0 ? { ...bare, properties } : bare
}
