/**
 * The server's own Receive Maximum, advertised in CONNACK and enforced.
 *
 * aedes 2.0.0-beta.1 can advertise a Receive Maximum but never counts against it, so a client could
 * leave any number of QoS 2 messages half-received (PUBLISH sent, PUBREL never), each one kept in the
 * store. [MQTT-3.3.4-7]: the client does not send more than Receive Maximum QoS 1/2 PUBLISH packets
 * for which it has not received PUBACK or PUBCOMP. [MQTT-3.3.4-8]: when the server receives more, it
 * sends DISCONNECT with 0x93 (Receive Maximum exceeded).
 *
 * Counted here: QoS 2 messages from PUBLISH until their PUBREL (the PUBCOMP answers it at once). A QoS 1
 * message is acknowledged as soon as aedes has stored it, as mosquitto does, so QoS 1 messages that only
 * wait in the socket's read buffer are not held against the client: mqtt.js, for one, does not limit
 * its QoS 1 messages in flight to the server's Receive Maximum.
 */
import type { EventEmitter } from 'node:events'
import type { ClientInternals } from '../aedes-internals.js'

/** MQTT 5 DISCONNECT reason code: Receive Maximum exceeded. */
const RECEIVE_MAXIMUM_EXCEEDED = 0x93

interface InboundPacket {
  cmd: string
  qos?: number
  messageId?: number
}

/** Counts the client's QoS 2 messages in flight to the server; aedes' preConnect hook, MQTT 5 only. */
export function enforceServerReceiveMaximum(client: ClientInternals, connect: { protocolVersion?: number }, max: number): void {
  if (connect.protocolVersion !== 5) return
  const pending = new Set<number>()
  const parser = (client as unknown as { _parser: EventEmitter })._parser
  parser.on('packet', (packet: InboundPacket) => {
    if (packet.cmd === 'pubrel' && packet.messageId !== undefined) {
      pending.delete(packet.messageId)
      return
    }
    if (packet.cmd !== 'publish' || packet.qos !== 2 || packet.messageId === undefined) return
    if (pending.has(packet.messageId)) return // a retransmission (DUP) of one already counted
    if (pending.size >= max) {
      client.disconnect({ reasonCode: RECEIVE_MAXIMUM_EXCEEDED })
      return
    }
    pending.add(packet.messageId)
  })
}
