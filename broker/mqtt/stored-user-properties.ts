/**
 * aedes-persistence-level stores retained messages and Wills as msgpack-lite, which decodes a map by assigning each
 * key to a plain `{}`. A user property named `__proto__` therefore went through the setter instead of becoming a key:
 * a string value was dropped (a retained message or a Will came back without it), and a list of values replaced the
 * decoded object's prototype. In the store the user properties are a list of [name, value] pairs, which msgpack
 * keeps as they are; read back, they are an object again whose every name is an own key. A packet without user
 * properties is stored and read as it was, and one stored before this reads as it did.
 */
import type { Readable } from 'node:stream'

type UserProperties = Record<string, string | string[]>
type WithProperties = { properties?: Record<string, unknown> }

/** The copy of `packet` to store: its user properties as pairs. `packet` itself, aedes' own, is left as it is. */
export function toStored<P extends WithProperties>(packet: P): P {
  const users = packet.properties?.userProperties
  if (users === undefined || users === null || typeof users !== 'object' || Array.isArray(users)) return packet
  return { ...packet, properties: { ...packet.properties, userProperties: Object.entries(users as UserProperties) } }
}

/** The packet as stored, with its user properties an object again. */
export function fromStored<P>(packet: P): P {
  const stored = packet as WithProperties | undefined
  const pairs = stored?.properties?.userProperties
  if (!Array.isArray(pairs)) return packet
  // fromEntries defines each name as an own property, `__proto__` included, where assignment would not.
  return {
    ...stored,
    properties: { ...(stored as WithProperties).properties, userProperties: Object.fromEntries(pairs as [string, string | string[]][]) },
  } as P
}

/**
 * A stream of stored packets (retained messages, Wills) as packets. Each packet is converted as the stream takes it
 * in, on the stream itself, rather than through a second stream (`map`, a Transform) with its own buffering.
 */
export function readStored(stream: Readable): Readable {
  const push = stream.push
  stream.push = (packet: unknown, encoding?: BufferEncoding) => push.call(stream, packet === null ? packet : fromStored(packet), encoding)
  return stream
}
