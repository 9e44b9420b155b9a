/**
 * What the CONNACK tells an MQTT 5 client the broker supports.
 *
 * aedes 2.0.0-beta.1 builds the CONNACK's properties inside its connect handler with no hook, and
 * always says Shared Subscription Available = 0; it leaves out Subscription Identifiers Available
 * (absent means available). MQTT 5 §3.2.2.3.12 and §3.2.2.3.13: these tell the client what it may use.
 * The properties are merged into each successful CONNACK as it is written (write-hook.ts).
 */
import { onWrite } from './write-hook.js'

/** Merges `advertised` into every successful MQTT 5 CONNACK `broker` sends. */
export function advertiseInConnack(broker: object, advertised: Record<string, unknown>): void {
  onWrite(broker, (packet) => {
    if (packet.cmd !== 'connack' || !packet.properties || packet.reasonCode) return packet
    return { ...packet, properties: { ...packet.properties, ...advertised } }
  })
}
