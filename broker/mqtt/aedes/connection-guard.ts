/**
 * Every byte and packet of one connection passes here before aedes acts on it:
 *
 * - Protocol Errors aedes does not catch: a repeated property (repeated-properties.ts) gets CONNACK
 *   0x82 on a CONNECT (the server must not send DISCONNECT before CONNACK [MQTT-3.14.0-1]), DISCONNECT
 *   0x82 afterwards (MQTT 5 §4.13.1), and the connection is closed; the packet is never handled.
 * - Unauthenticated memory: until its CONNACK, a connection may send its CONNECT (at most
 *   `maxConnectBytes`, by the length it declares) plus PRE_CONNECT_SLACK_BYTES. Past that it is closed.
 *   Stock aedes buffers a declared packet up to the maximum packet size (1 MiB here), plus 42 queued
 *   packets while authentication runs, for anyone who opens a socket.
 * - Last line (last-line.ts): a throw out of the read path or a packet handler closes this connection.
 */
import type { Client } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'
import { closeAfterThrow } from './last-line.js'
import { markRepeatedProperties, REPEATED_PROPERTY } from './repeated-properties.js'
import { readVariableByteInteger } from '../../../src/mqtt/variable-byte-integer.js'

/** What a client may pipeline behind its CONNECT before the CONNACK (a SUBSCRIBE or a few PUBLISHes). */
export const PRE_CONNECT_SLACK_BYTES = 8 * 1024

/** MQTT 5 Reason Code 0x82, Protocol Error. */
const PROTOCOL_ERROR = 0x82

export interface ConnectionGuardOptions {
  /** The largest CONNECT accepted (its will included), fixed header included. */
  maxConnectBytes: number
  log: Logger
}

/** The slice of aedes' Client this guard relies on (aedes 2.0.0-beta.1, lib/client.js). */
interface GuardedClient extends Client {
  _parser: NodeJS.EventEmitter
  _nextBatch: (err?: Error) => void
  connackSent: boolean
  connected: boolean
}

/** The stream under a connection, as aedes reads it. */
interface ReadStream {
  read(size?: number): Buffer | null
  removeListener(event: 'readable', listener: (...args: never[]) => void): unknown
  on(event: 'readable', listener: () => void): unknown
  destroy(): void
}

/** The Remaining Length a packet's fixed header declares, with the header's size; undefined until complete. */
export function declaredPacketSize(head: Uint8Array): { bodyBytes: number; headerBytes: number } | 'malformed' | undefined {
  const length = readVariableByteInteger(head, 1)
  return typeof length === 'object' ? { bodyBytes: length.value, headerBytes: length.end } : length
}

/** Installs the guard on a connection aedes has just taken (`aedes.handle(conn, req)`'s result). */
export function guardConnection(client: Client, options: ConnectionGuardOptions): void {
  const c = client as unknown as GuardedClient
  const { log } = options
  const conn = c.conn as unknown as ReadStream
  const parser = c._parser
  let refused = false

  markRepeatedProperties(parser)

  // Packets: refuse Protocol Errors, and keep a throw inside this connection.
  const handlers = parser.listeners('packet') as ((packet: unknown) => void)[]
  parser.removeAllListeners('packet')
  parser.on('packet', (packet: Record<PropertyKey, unknown>) => {
    if (refused) return
    const repeated = packet[REPEATED_PROPERTY]
    if (typeof repeated === 'string') {
      refused = true
      refuseProtocolError(c, packet, `property ${repeated} appears more than once`, log)
      return
    }
    try {
      for (const handler of handlers) handler.call(parser, packet)
    } catch (err) {
      refused = true
      closeAfterThrow(c, err, `${String(packet.cmd)} packet`, log)
    }
  })

  // The read path: aedes reads from 'readable' and from the callback each handled packet calls.
  const nextBatch = c._nextBatch
  const guardedNextBatch = (err?: Error) => {
    try {
      nextBatch(err)
    } catch (thrown) {
      refused = true
      closeAfterThrow(c, thrown, 'read', log)
    }
  }
  c._nextBatch = guardedNextBatch
  conn.removeListener('readable', nextBatch)
  conn.on('readable', guardedNextBatch)

  limitBeforeConnack(c, conn, options, () => {
    refused = true
  })
}

/**
 * The pre-CONNECT budget, counted on what aedes reads from the stream. In a function of its own: what it
 * holds (the counters, the header bytes, the wrapped read) is let go at the CONNACK, not kept for as long
 * as the connection lasts.
 */
function limitBeforeConnack(c: GuardedClient, conn: ReadStream, options: ConnectionGuardOptions, refuse: () => void): void {
  const read = conn.read
  let received = 0
  let head = new Uint8Array(0)
  let allowed = PRE_CONNECT_SLACK_BYTES
  conn.read = function (this: ReadStream, size?: number) {
    const chunk = read.call(this, size)
    if (!chunk || c.connackSent) return chunk
    received += chunk.length
    if (head.length < 5) {
      head = new Uint8Array([...head, ...chunk.subarray(0, 5 - head.length)])
      const declared = declaredPacketSize(head)
      if (declared === 'malformed' || (declared && declared.bodyBytes + declared.headerBytes > options.maxConnectBytes)) {
        return overBudget(declared === 'malformed' ? 'malformed length' : `CONNECT declares ${declared.bodyBytes + declared.headerBytes} bytes`)
      }
      if (declared) allowed = PRE_CONNECT_SLACK_BYTES + declared.bodyBytes + declared.headerBytes
    }
    if (received > allowed) return overBudget(`${received} bytes before CONNACK`)
    return chunk
  }
  const overBudget = (why: string): null => {
    refuse()
    options.log.warn(
      { clientId: c.id ?? undefined, why, maxConnectBytes: options.maxConnectBytes },
      'mqtt connection over its pre-connect budget, closed',
    )
    conn.read = read
    conn.destroy()
    return null
  }
  c.once('connected', () => {
    conn.read = read
  })
}

function refuseProtocolError(c: GuardedClient, packet: Record<PropertyKey, unknown>, reason: string, log: Logger): void {
  log.warn({ clientId: c.id ?? undefined, cmd: packet.cmd, reason }, 'mqtt protocol error, connection closed')
  const close = () => {
    try {
      c.close()
    } catch {
      c.conn.destroy()
    }
  }
  if (packet.cmd === 'connect') {
    // Only an MQTT 5 CONNECT has properties: CONNACK, Session Present 0, Reason Code 0x82, no properties.
    c.conn.write(Buffer.from([0x20, 0x03, 0x00, PROTOCOL_ERROR, 0x00]), close)
    return
  }
  // After the CONNACK (aedes may not count the client as connected yet), MQTT 5: DISCONNECT 0x82, no properties.
  if (c.version === 5 && c.connackSent && !c.conn.destroyed) {
    c.conn.write(Buffer.from([0xe0, 0x02, PROTOCOL_ERROR, 0x00]), close)
    return
  }
  close()
}
