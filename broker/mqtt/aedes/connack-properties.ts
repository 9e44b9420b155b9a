/**
 * What the CONNACK tells an MQTT 5 client the broker supports.
 *
 * aedes 2.0.0-beta.1 builds the CONNACK's properties inside its connect handler with no hook, and
 * always says Shared Subscription Available = 0; it leaves out Subscription Identifiers Available
 * (absent means available). MQTT 5 §3.2.2.3.12 and §3.2.2.3.13: these tell the client what it may use.
 *
 * aedes writes every packet through mqtt-packet's `writeToStream(packet, stream)`, looked up on the
 * module object at each call, and each connection's stream points back at its aedes client
 * (`stream.client`). The wrapper below changes the properties of a successful CONNACK written to a
 * client of a registered broker and nothing else; other users of mqtt-packet in the process (mqtt.js)
 * are left alone.
 */
import mqttPacket from 'mqtt-packet'

type Properties = Record<string, unknown>
type WriteToStream = (packet: { cmd: string; reasonCode?: number; properties?: Properties }, stream: unknown, opts?: unknown) => boolean

const brokers = new WeakMap<object, Properties>()
let installed = false

/** Merges `advertised` into every successful MQTT 5 CONNACK `broker` sends. */
export function advertiseInConnack(broker: object, advertised: Properties): void {
  brokers.set(broker, advertised)
  if (installed) return
  installed = true
  const codec = mqttPacket as unknown as { writeToStream: WriteToStream }
  const writeToStream = codec.writeToStream
  codec.writeToStream = (packet, stream, opts) => {
    if (packet.cmd === 'connack' && packet.properties && !packet.reasonCode) {
      const owner = (stream as { client?: { broker?: object } } | null)?.client?.broker
      const extra = owner && brokers.get(owner)
      if (extra) packet.properties = { ...packet.properties, ...extra }
    }
    return writeToStream(packet, stream, opts)
  }
}
