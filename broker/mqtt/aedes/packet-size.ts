/**
 * The client's Maximum Packet Size: a PUBLISH larger than the client allows is not sent to it.
 *
 * aedes 2.0.0-beta.1 stores the property from CONNECT (`client.maximumPacketSize`) and sends every
 * packet anyway. mqtt.js answers an oversized PUBLISH by dropping the connection, and the next
 * messages are lost with it. [MQTT-3.1.2-24]: the server does not send packets exceeding the
 * client's Maximum Packet Size. [MQTT-3.1.2-25]: where a packet is too large to send, the server
 * discards it without sending it and behaves as if it had completed sending that message.
 *
 * The check runs in aedes' authorizeForward hook, which aedes calls right before it writes a message
 * to one client, live or replayed from a stored session, with the packet as it will go out (topic,
 * payload, properties, the subscription identifier added). A message refused there is not written:
 * live, aedes calls back as for a message it chose not to forward; replayed, aedes clears it from the
 * session's queue. Either way the client never sees it and the next message follows.
 */
import mqttPacket from 'mqtt-packet'
import type { BrokerPacket } from '../aedes-internals.js'

/** A packet identifier's worth of bytes (any value encodes in 2 bytes). */
const SAMPLE_ID = 1

/** Bytes the PUBLISH carrying `packet` takes on the wire, as MQTT 5 encodes it. */
export function publishWireSize(packet: BrokerPacket): number {
  const qos = packet.qos
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: packet.topic,
      payload: packet.payload,
      qos,
      retain: packet.retain,
      dup: false,
      messageId: qos > 0 ? (packet.messageId ?? SAMPLE_ID) : undefined,
      properties: packet.properties,
    },
    { protocolVersion: 5 },
  ).length
}

/** Whether `packet` fits the Maximum Packet Size the client sent (MQTT 5; none for 3.1.1). */
export function fitsClient(client: { maximumPacketSize?: number }, packet: BrokerPacket): boolean {
  const max = client.maximumPacketSize
  if (max === undefined || max <= 0) return true
  // Cheap bound first: the fixed header, topic and identifier take well under 16 bytes beyond them.
  const payloadBytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
  if (!packet.properties && payloadBytes + Buffer.byteLength(packet.topic) + 16 <= max) return true
  try {
    return publishWireSize(packet) <= max
  } catch {
    return true // not encodable at all: aedes' own write reports it
  }
}
