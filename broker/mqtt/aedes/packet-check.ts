/**
 * Correction to aedes 2.0.0-beta.1: an MQTT 5 client that breaks the protocol after CONNACK is told
 * why with the DISCONNECT reason code the spec names, instead of a silent close (or nothing at all).
 *
 * Defects (lib/handlers/index.js, publish.js, subscribe.js):
 * - a SUBSCRIBE holding an invalid Topic Filter ('#' not the whole last level, '+' not a whole level,
 *   empty, NUL) closes the connection without a word; the filter cannot be read as a filter:
 *   DISCONNECT 0x81 Malformed Packet ([MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1]);
 * - a PUBLISH whose Topic Name holds a wildcard closes the connection without a word:
 *   DISCONNECT 0x82 Protocol Error ([MQTT-3.3.2-2]);
 * - a DISCONNECT carrying a non-zero Session Expiry Interval from a client that connected with 0 was
 *   taken as a normal DISCONNECT (the will discarded). MQTT 5 §3.14.2.2.2: it is a Protocol Error, not a
 *   valid DISCONNECT: the server answers DISCONNECT 0x82, and the will is published.
 * mosquitto 2.0 answers these three the same way.
 *
 * The check runs in front of aedes' packet handler (the parser's 'packet' listener); an offending
 * packet never reaches aedes, and nothing after it on that connection is read. MQTT 3.1.1 has no
 * server DISCONNECT: aedes' close is the right answer there, so 3.1.1 connections are left alone.
 */
import type { Client, ConnectPacket } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'
import { validateTopicFilter } from '../../../src/topic/validate.js'

const MALFORMED_PACKET = 0x81
const PROTOCOL_ERROR = 0x82

interface Violation {
  reasonCode: number
  reasonString: string
}

interface InboundPacket {
  cmd: string
  topic?: string
  subscriptions?: { topic: string }[]
  properties?: { sessionExpiryInterval?: number }
}

interface Parser {
  listeners(event: 'packet'): ((this: unknown, packet: InboundPacket) => void)[]
  removeListener(event: 'packet', listener: (packet: InboundPacket) => void): unknown
  on(event: 'packet', listener: (this: unknown, packet: InboundPacket) => void): unknown
}

type CheckedClient = Client & { _parser?: Parser; disconnect(opts: { reasonCode: number; properties?: object }, done: () => void): void }

function violationOf(packet: InboundPacket, connectExpiry: number): Violation | undefined {
  if (packet.cmd === 'subscribe') {
    for (const sub of packet.subscriptions ?? []) {
      const reason = validateTopicFilter(sub.topic)
      if (reason) return { reasonCode: MALFORMED_PACKET, reasonString: reason }
    }
  } else if (packet.cmd === 'publish') {
    const topic = packet.topic ?? ''
    if (topic.includes('+') || topic.includes('#')) return { reasonCode: PROTOCOL_ERROR, reasonString: 'topic name contains a wildcard' }
  } else if (packet.cmd === 'disconnect') {
    const expiry = packet.properties?.sessionExpiryInterval
    if (connectExpiry === 0 && typeof expiry === 'number' && expiry > 0) {
      return { reasonCode: PROTOCOL_ERROR, reasonString: 'session expiry interval was 0 at CONNECT' }
    }
  }
  return undefined
}

/** aedes' preConnect: puts the checks in front of aedes' handling of this client's packets. */
export function installPacketCheck(client: Client, connect: ConnectPacket, log: Logger): void {
  if (connect.protocolVersion !== 5) return
  const checked = client as CheckedClient
  const parser = checked._parser
  const handlers = parser?.listeners('packet') ?? []
  if (!parser || handlers.length === 0) return // not the aedes this was written for: leave it be
  const connectExpiry = connect.properties?.sessionExpiryInterval ?? 0
  let rejected = false
  // In front of every listener the other corrections put there (installed last, from preConnect), keeping their order.
  for (const handler of handlers) parser.removeListener('packet', handler)
  parser.on('packet', function checkPacket(this: unknown, packet: InboundPacket) {
    if (rejected) return
    const violation = violationOf(packet, connectExpiry)
    if (!violation) {
      for (const handler of handlers) handler.call(this, packet)
      return
    }
    rejected = true
    log.debug({ clientId: client.id, cmd: packet.cmd, reasonCode: violation.reasonCode, reason: violation.reasonString }, 'mqtt protocol violation')
    const disconnect = () => checked.disconnect({ reasonCode: violation.reasonCode, properties: { reasonString: violation.reasonString } }, () => {})
    // A DISCONNECT goes out only once the connection is established [MQTT-3.14.0-1]; a refused CONNECT closes it anyway.
    if (client.connected) disconnect()
    else client.once('connected', disconnect)
  })
}
