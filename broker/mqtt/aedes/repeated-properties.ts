/**
 * Correction: a property repeated where MQTT 5 allows it once is a Protocol Error (MQTT 5 §2.2.2.2:
 * "It is a Protocol Error to include the <property> more than once", stated for each property in
 * §3.1.2.11, §3.3.2.3, §3.14.2.2 ...). Only User Property may repeat in a packet a client sends.
 *
 * Defect (mqtt-packet 9.0.2 as used by aedes 2.0.0-beta.1): the parser turns a repeated property into
 * an array (or silently keeps the last value when the first one is falsy), and aedes acts on it. A
 * CONNECT or DISCONNECT carrying Session Expiry Interval twice makes aedes compute a NaN delay, and
 * `armLongTimer` throws from a callback: the whole process ends.
 *
 * The correction scans every property section the parser reads (CONNECT, its will, PUBLISH, PUBACK to
 * PUBCOMP, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT, AUTH) and marks the packet; the connection guard
 * refuses a marked packet before aedes sees it (CONNACK or DISCONNECT 0x82, then close).
 */
import { readVariableByteInteger } from '../../../src/mqtt/variable-byte-integer.js'

/** Property identifier -> [name, wire type] (MQTT 5 §2.2.2.2, table 2-4). */
const PROPERTIES: Record<number, readonly [string, 'byte' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair']> = {
  0x01: ['payloadFormatIndicator', 'byte'],
  0x02: ['messageExpiryInterval', 'int32'],
  0x03: ['contentType', 'string'],
  0x08: ['responseTopic', 'string'],
  0x09: ['correlationData', 'binary'],
  0x0b: ['subscriptionIdentifier', 'var'],
  0x11: ['sessionExpiryInterval', 'int32'],
  0x12: ['assignedClientIdentifier', 'string'],
  0x13: ['serverKeepAlive', 'int16'],
  0x15: ['authenticationMethod', 'string'],
  0x16: ['authenticationData', 'binary'],
  0x17: ['requestProblemInformation', 'byte'],
  0x18: ['willDelayInterval', 'int32'],
  0x19: ['requestResponseInformation', 'byte'],
  0x1a: ['responseInformation', 'string'],
  0x1c: ['serverReference', 'string'],
  0x1f: ['reasonString', 'string'],
  0x21: ['receiveMaximum', 'int16'],
  0x22: ['topicAliasMaximum', 'int16'],
  0x23: ['topicAlias', 'int16'],
  0x24: ['maximumQoS', 'byte'],
  0x25: ['retainAvailable', 'byte'],
  0x26: ['userProperties', 'pair'],
  0x27: ['maximumPacketSize', 'int32'],
  0x28: ['wildcardSubscriptionAvailable', 'byte'],
  0x29: ['subscriptionIdentifiersAvailable', 'byte'],
  0x2a: ['sharedSubscriptionAvailable', 'byte'],
}

const USER_PROPERTY = 0x26

/** A Variable Byte Integer at `pos`: [value, next position], or undefined when malformed or cut short. */
function readVarInt(bytes: Uint8Array, pos: number): [number, number] | undefined {
  const read = readVariableByteInteger(bytes, pos)
  return typeof read === 'object' ? [read.value, read.end] : undefined
}

function skipValue(bytes: Uint8Array, pos: number, type: (typeof PROPERTIES)[number][1]): number | undefined {
  const u16 = (at: number) => (at + 1 < bytes.length ? (bytes[at]! << 8) | bytes[at + 1]! : undefined)
  switch (type) {
    case 'byte':
      return pos + 1
    case 'int16':
      return pos + 2
    case 'int32':
      return pos + 4
    case 'var':
      return readVarInt(bytes, pos)?.[1]
    case 'string':
    case 'binary': {
      const len = u16(pos)
      return len === undefined ? undefined : pos + 2 + len
    }
    case 'pair': {
      const next = skipValue(bytes, pos, 'string')
      return next === undefined ? undefined : skipValue(bytes, next, 'string')
    }
  }
}

/**
 * The name of the first property that appears twice in a property section (its length prefix
 * included), User Property excepted; undefined when none does or when the section is malformed
 * (the parser reports that itself).
 */
export function findRepeatedProperty(section: Uint8Array): string | undefined {
  const head = readVarInt(section, 0)
  if (!head) return undefined
  const [length, start] = head
  const end = Math.min(start + length, section.length)
  const seen = new Set<number>()
  let pos = start
  while (pos < end) {
    const id = section[pos]!
    const property = PROPERTIES[id]
    if (!property) return undefined
    if (id !== USER_PROPERTY) {
      if (seen.has(id)) return property[0]
      seen.add(id)
    }
    const next = skipValue(section, pos + 1, property[1])
    if (next === undefined) return undefined
    pos = next
  }
  return undefined
}

/** Set on a parsed packet that repeats a property: the property's name. */
export const REPEATED_PROPERTY = Symbol('postbridge.repeatedProperty')

/** The slice of mqtt-packet's parser this correction relies on (checked against mqtt-packet 9.0.2). */
interface ParserInternals {
  _pos: number
  _list: { slice(start: number, end: number): Uint8Array }
  packet: Record<PropertyKey, unknown> | undefined
  _parseProperties(): unknown
}

/** The marking wrapper of each parseProperties (the parser prototype's, so one for every connection). */
const marking = new WeakMap<() => unknown, (this: ParserInternals) => unknown>()

/** Makes one connection's parser mark packets whose properties repeat (see the header). */
export function markRepeatedProperties(parser: unknown): void {
  const p = parser as ParserInternals
  const parseProperties = p._parseProperties
  if (typeof parseProperties !== 'function' || typeof p._list?.slice !== 'function') {
    throw new Error('mqtt-packet parser internals changed: recheck broker/mqtt/aedes/repeated-properties.ts')
  }
  let marked = marking.get(parseProperties)
  if (!marked) {
    marked = function (this: ParserInternals) {
      const start = this._pos
      const result = parseProperties.call(this)
      if (result && this.packet && this.packet[REPEATED_PROPERTY] === undefined) {
        const repeated = findRepeatedProperty(this._list.slice(start, this._pos))
        if (repeated) this.packet[REPEATED_PROPERTY] = repeated
      }
      return result
    }
    marking.set(parseProperties, marked)
  }
  p._parseProperties = marked
}
