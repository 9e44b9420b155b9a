/**
 * MQTT packets on the link, with mqtt-packet (the codec mqtt.js itself uses) under nodejs_compat.
 * mqtt-packet works on Buffers; the rest of the edge sees Uint8Array.
 */
import type { Buffer } from 'node:buffer'
import mqttPacket from 'mqtt-packet'
import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet'
import type { LinkPublish } from '../src/link/packet.js'

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

/** A parser for one connection; it learns the protocol version from the CONNECT it reads. */
export function createPacketReader(onPacket: (packet: Packet) => void, onError: (err: Error) => void): PacketReader {
  const parser = mqttPacket.parser({ protocolVersion: 5 })
  parser.on('packet', onPacket)
  parser.on('error', onError)
  return {
    push(frame) {
      const bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame)
      parser.parse(packetBuffer(bytes))
    },
  }
}

/** The bytes of a packet for this connection's protocol version (4 = 3.1.1, 5). */
export function encodePacket(packet: Packet, protocolVersion: number): Uint8Array {
  return new Uint8Array(mqttPacket.generate(packet, { protocolVersion }))
}

/** A PUBLISH for the link, with the Buffers mqtt-packet's writer expects. */
export function publishPacket(publish: LinkPublish, messageId: number, dup: boolean): IPublishPacket {
  const { correlationData, ...rest } = publish.properties ?? {}
  const properties = publish.properties ? { ...rest, ...(correlationData ? { correlationData: packetBuffer(correlationData) } : {}) } : undefined
  return {
    cmd: 'publish',
    topic: publish.topic,
    payload: packetBuffer(publish.payload),
    qos: publish.qos,
    retain: publish.retain,
    dup,
    messageId,
    ...(properties ? { properties } : {}),
  }
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
