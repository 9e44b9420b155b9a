/**
 * Topic aliases from the broker to clients that accept them.
 *
 * An MQTT 5 client says in CONNECT how many topic aliases it accepts (Topic Alias Maximum, 0 when
 * absent). aedes 2.0.0-beta.1 never uses them. Here the first topics sent to such a client each get
 * an alias, up to its maximum: the first PUBLISH carries the topic and the alias, later ones an empty
 * topic and the alias [MQTT-3.3.2-12]. Topics beyond the maximum go out in full; an alias is never
 * above the client's maximum [MQTT-3.3.2-9], and none is sent to a client that accepts none
 * [MQTT-3.3.2-8]. The mapping lives as long as the connection.
 *
 * The rewrite happens as the packet is written (write-hook.ts), on a copy: a message stored for the
 * session keeps its topic, and aliases are set up on the wire in the order the client reads them.
 */
import type { BrokerPacket, ClientInternals } from '../aedes-internals.js'
import { fitsClient } from './packet-size.js'
import { onWrite, type OutgoingPacket } from './write-hook.js'

interface AliasState {
  max: number
  aliases: Map<string, number>
}

export class OutgoingTopicAliases {
  private readonly states = new WeakMap<object, AliasState>()

  constructor(broker: object) {
    onWrite(broker, (packet, client) => this.rewrite(packet, client))
  }

  /** aedes' preConnect hook: remember how many aliases the client accepts. */
  connect(client: ClientInternals, connect: { protocolVersion?: number; properties?: { topicAliasMaximum?: number } }): void {
    const max = connect.properties?.topicAliasMaximum ?? 0
    if (connect.protocolVersion === 5 && max > 0) this.states.set(client, { max, aliases: new Map() })
  }

  private rewrite(packet: OutgoingPacket, client: ClientInternals): OutgoingPacket {
    const state = this.states.get(client)
    const topic = packet.topic
    if (!state || packet.cmd !== 'publish' || typeof topic !== 'string' || topic.length === 0) return packet
    const known = state.aliases.get(topic)
    if (known !== undefined) return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } }
    if (state.aliases.size >= state.max) return packet
    const alias = state.aliases.size + 1
    const out = { ...packet, properties: { ...packet.properties, topicAlias: alias } }
    // The alias adds three bytes: keep a message that only just fits the client's maximum whole.
    if (!fitsClient(client as { maximumPacketSize?: number }, out as unknown as BrokerPacket)) return packet
    state.aliases.set(topic, alias)
    return out
  }
}
