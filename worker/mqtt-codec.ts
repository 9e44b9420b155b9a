/**
 * MQTT packets on the link, with mqtt-packet (the codec mqtt.js itself uses) under nodejs_compat.
 * mqtt-packet works on Buffers; the rest of the edge sees Uint8Array.
 */
import type { Buffer } from 'node:buffer'
import mqttPacket from 'mqtt-packet'
import type { IConnackPacket, Packet } from 'mqtt-packet'
import type { LinkPublish } from '../src/link/packet.js'
import { readVariableByteInteger } from '../src/mqtt/variable-byte-integer.js'

export type { IConnectPacket, IPublishPacket, IPubackPacket, ISubscribePacket, Packet } from 'mqtt-packet'

/**
 * mqtt-packet's own Buffer class. Its writer checks Buffer.isBuffer, and a bundler may hand it the npm "buffer"
 * package instead of node:buffer (vitest's dependency optimizer does), so a node:buffer Buffer would be taken
 * for a string. Parsing a tiny PUBLISH yields a payload of the class the codec itself uses.
 */
const PacketBuffer: typeof Buffer = (() => {
  let found: typeof Buffer | undefined
  const probe = mqttPacket.parser()
  probe.on('packet', (p: Packet) => {
    if (p.cmd === 'publish') found = (p.payload as Buffer).constructor as typeof Buffer
  })
  probe.parse(new Uint8Array([0x30, 0x04, 0x00, 0x01, 0x61, 0x62]) as Buffer) // PUBLISH "a", payload "b"
  if (!found) throw new Error('mqtt-packet did not parse its probe packet')
  return found
})()

/** Bytes as mqtt-packet's Buffer, without copying. */
export function packetBuffer(bytes: Uint8Array): Buffer {
  return PacketBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export interface PacketReader {
  /** Feeds one WebSocket frame; a frame may hold several packets or part of one [MQTT-6.0.0-2]. */
  push(frame: ArrayBuffer | Uint8Array): void
}

/** The first byte of a PUBACK [MQTT-3.4.1]; its flags are reserved and 0. */
const PUBACK_BYTE = 0x40

/**
 * A parser for one connection; it learns the protocol version from the CONNECT it reads.
 *
 * It cuts the stream into whole packets itself. A PUBACK that acknowledges with success (remaining length 2: the
 * packet id alone, reason code 0 [MQTT-3.4.2.1]) is decoded here: home sends one per message down, and mqtt-packet's
 * Buffer work costs several times more than the packet. Every other packet goes to mqtt-packet whole.
 */
export function createPacketReader(
  onPacket: (packet: Packet) => void,
  onError: (err: Error) => void,
  /** A packet may not declare more; beyond it the reader stops at once, so the start it keeps of a cut packet stays bounded. */
  maxPacketBytes: number,
): PacketReader {
  const parser = mqttPacket.parser({ protocolVersion: 5 })
  parser.on('packet', onPacket)
  parser.on('error', onError)
  /** The start of a packet that the last frame cut off. */
  let rest: Uint8Array | undefined
  let failed = false
  return {
    push(frame) {
      if (failed) return
      let bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame)
      if (rest) {
        const joined = new Uint8Array(rest.byteLength + bytes.byteLength)
        joined.set(rest)
        joined.set(bytes, rest.byteLength)
        bytes = joined
        rest = undefined
      }
      let at = 0
      while (at < bytes.byteLength) {
        const header = fixedHeader(bytes, at)
        if (header === 'malformed') {
          // mqtt-packet reports it as it always did.
          parser.parse(packetBuffer(bytes.subarray(at)))
          return
        }
        if (header !== undefined && header.length > maxPacketBytes) {
          failed = true
          rest = undefined
          onError(new Error(`packet of ${header.length} bytes exceeds the link's ${maxPacketBytes}`))
          return
        }
        if (header === undefined || at + header.length > bytes.byteLength) {
          rest = bytes.slice(at)
          return
        }
        const end = at + header.length
        if (bytes[at] === PUBACK_BYTE && header.remaining === 2) {
          onPacket({ cmd: 'puback', messageId: ((bytes[end - 2] ?? 0) << 8) | (bytes[end - 1] ?? 0), reasonCode: 0 } as Packet)
        } else {
          parser.parse(packetBuffer(bytes.subarray(at, end)))
        }
        at = end
      }
    },
  }
}

/**
 * The fixed header at `at`: the whole packet's length and its remaining length [MQTT-2.1.4]; undefined while the
 * header itself is cut off; 'malformed' when the remaining length runs past its four bytes.
 */
function fixedHeader(bytes: Uint8Array, at: number): { length: number; remaining: number } | undefined | 'malformed' {
  const remaining = readVariableByteInteger(bytes, at + 1)
  return typeof remaining === 'object' ? { length: remaining.end - at + remaining.value, remaining: remaining.value } : remaining
}

/** The bytes of a packet for this connection's protocol version (4 = 3.1.1, 5). */
export function encodePacket(packet: Packet, protocolVersion: number): Uint8Array {
  return new Uint8Array(mqttPacket.generate(packet, { protocolVersion }))
}

const utf8 = new TextEncoder()

/** MQTT 5 property identifiers of the properties a link PUBLISH carries [MQTT-2.2.2.2]. */
const PROPERTY = {
  payloadFormatIndicator: 0x01,
  messageExpiryInterval: 0x02,
  contentType: 0x03,
  responseTopic: 0x08,
  correlationData: 0x09,
  userProperty: 0x26,
} as const

/**
 * The bytes of a PUBLISH for the link at QoS 1, written in one pass into one array: the edge sends one per message down,
 * and mqtt-packet's generic writer (a Buffer per field, then a concat) costs more than the rest of the send. The same
 * packet as mqtt-packet writes (mqtt-codec.test.ts holds the two byte for byte); properties only for MQTT 5.
 */
export function encodePublish(publish: LinkPublish, messageId: number, dup: boolean, protocolVersion: number): Uint8Array {
  const topic = utf8.encode(publish.topic)
  const fields: [id: number, value: Uint8Array | number | [Uint8Array, Uint8Array]][] = []
  let propertiesLength = 0
  const p = protocolVersion === 5 ? publish.properties : undefined
  if (p) {
    if (p.payloadFormatIndicator !== undefined) {
      fields.push([PROPERTY.payloadFormatIndicator, p.payloadFormatIndicator ? 1 : 0])
      propertiesLength += 2
    }
    if (p.messageExpiryInterval !== undefined) {
      fields.push([PROPERTY.messageExpiryInterval, p.messageExpiryInterval])
      propertiesLength += 5
    }
    for (const [id, value] of [
      [PROPERTY.contentType, p.contentType],
      [PROPERTY.responseTopic, p.responseTopic],
    ] as const) {
      if (value === undefined) continue
      const bytes = twoByteLength(utf8.encode(value))
      fields.push([id, bytes])
      propertiesLength += 3 + bytes.byteLength
    }
    if (p.correlationData !== undefined) {
      const bytes = twoByteLength(p.correlationData)
      fields.push([PROPERTY.correlationData, bytes])
      propertiesLength += 3 + bytes.byteLength
    }
    for (const [key, values] of Object.entries(p.userProperties ?? {})) {
      const k = twoByteLength(utf8.encode(key))
      for (const value of Array.isArray(values) ? values : [values]) {
        const v = twoByteLength(utf8.encode(value))
        fields.push([PROPERTY.userProperty, [k, v]])
        propertiesLength += 5 + k.byteLength + v.byteLength
      }
    }
  }
  const remaining =
    2 +
    twoByteLength(topic).byteLength +
    2 +
    (protocolVersion === 5 ? varIntLength(propertiesLength) + propertiesLength : 0) +
    publish.payload.byteLength
  const out = new Uint8Array(1 + varIntLength(remaining) + remaining)
  // PUBLISH at QoS 1 [MQTT-3.3.1]: DUP, QoS and RETAIN in the low bits.
  out[0] = 0x30 | (dup ? 0x08 : 0) | (1 << 1) | (publish.retain ? 1 : 0)
  let at = writeVarInt(out, 1, remaining)
  at = writeBytes(out, at, topic)
  out[at++] = messageId >> 8
  out[at++] = messageId & 0xff
  if (protocolVersion === 5) {
    at = writeVarInt(out, at, propertiesLength)
    for (const [id, value] of fields) {
      out[at++] = id
      if (typeof value === 'number') {
        if (id === PROPERTY.messageExpiryInterval) {
          new DataView(out.buffer).setUint32(at, value)
          at += 4
        } else out[at++] = value
      } else if (value instanceof Uint8Array) {
        at = writeBytes(out, at, value)
      } else {
        at = writeBytes(out, at, value[0])
        at = writeBytes(out, at, value[1])
      }
    }
  }
  out.set(publish.payload, at)
  return out
}

/** A string or binary field's bytes, checked against its two-byte length prefix [MQTT-1.5.4-1]. */
function twoByteLength(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength > 0xffff) throw new RangeError(`an MQTT string or binary field holds at most 65535 bytes, not ${bytes.byteLength}`)
  return bytes
}

function writeBytes(out: Uint8Array, at: number, bytes: Uint8Array): number {
  out[at] = bytes.byteLength >> 8
  out[at + 1] = bytes.byteLength & 0xff
  out.set(bytes, at + 2)
  return at + 2 + bytes.byteLength
}

/** Bytes of a Variable Byte Integer [MQTT-1.5.5]. */
function varIntLength(n: number): number {
  if (n > 268_435_455) throw new RangeError(`an MQTT packet holds at most 268435455 bytes after its header, not ${n}`)
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4
}

function writeVarInt(out: Uint8Array, at: number, n: number): number {
  let rest = n
  do {
    let b = rest % 128
    rest = Math.floor(rest / 128)
    if (rest > 0) b |= 0x80
    out[at++] = b
  } while (rest > 0)
  return at
}

/** CONNACK reason codes: MQTT 5 reason codes and their 3.1.1 return codes. */
export const CONNACK = {
  accepted: { v5: 0x00, v4: 0 },
  unsupportedProtocol: { v5: 0x84, v4: 1 },
  notAuthorized: { v5: 0x87, v4: 5 },
} as const

export function connackPacket(code: (typeof CONNACK)[keyof typeof CONNACK], protocolVersion: number): IConnackPacket {
  return protocolVersion === 5
    ? { cmd: 'connack', sessionPresent: false, reasonCode: code.v5 }
    : { cmd: 'connack', sessionPresent: false, returnCode: code.v4 }
}
