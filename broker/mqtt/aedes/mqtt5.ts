/**
 * MQTT 5 flow control and limits aedes 2.0.0-beta.1 leaves out, in one place (each in its own file):
 *
 * - receive-maximum.ts: the client's Receive Maximum [MQTT-3.3.4-9];
 * - server-receive-maximum.ts: the server's Receive Maximum, advertised and enforced [MQTT-3.3.4-7/8];
 * - packet-size.ts: the client's Maximum Packet Size [MQTT-3.1.2-24/25];
 * - server-keep-alive.ts: Server Keep Alive for MQTT 5 only [MQTT-3.1.2-21];
 * - subscription-identifiers.ts: all matching identifiers, on queued messages too [MQTT-3.3.4-3/4];
 * - shared-subscriptions.ts: `$share/{group}/{filter}` for MQTT 5 and 3.1.1 (MQTT 5 §4.8.2);
 * - topic-alias-out.ts: topic aliases to clients that accept them [MQTT-3.3.2-12];
 * - connack-properties.ts: what CONNACK advertises; it and topic-alias-out.ts rewrite packets as
 *   aedes writes them (write-hook.ts).
 *
 * Topic aliases from clients [MQTT-3.3.2-7..12] need only aedes' `topicAliasMaximum` option (below).
 *
 * Wiring: construct once after aedes and the store; call `connect` from preConnect before the
 * delivery window is installed. The deliver functions then nest as: session-resume.ts, the delivery
 * window, subscription identifiers, the Receive Maximum gate, aedes. The window must capture the
 * gated deliverQoS, and identifiers are set before the gate (and the size check) see the packet.
 */
import type { Aedes, AedesOptions } from 'aedes'
import type { BrokerPacket, ClientInternals } from '../aedes-internals.js'
import { advertiseInConnack } from './connack-properties.js'
import { SharedSubscriptions, type ShareStore } from './shared-subscriptions.js'
import { OutgoingTopicAliases } from './topic-alias-out.js'
import { fitsClient } from './packet-size.js'
import { ReceiveMaximum, type GatedStore } from './receive-maximum.js'
import { capKeepAlive } from './server-keep-alive.js'
import { enforceServerReceiveMaximum } from './server-receive-maximum.js'
import { installSubscriptionIdentifiers, replayWithIdentifiers } from './subscription-identifiers.js'

export interface Mqtt5Limits {
  /** Topic aliases a client may set (advertised in CONNACK; 0: none). */
  topicAliasMaximum: number
  /** QoS 2 messages a client may have in flight to the server (advertised in CONNACK). */
  receiveMaximum: number
  /** Cap on an MQTT 5 client's keep-alive, in seconds, sent as Server Keep Alive (0: no cap). */
  maxKeepAliveSeconds: number
}

/** The aedes options behind these limits. */
export function aedesLimitOptions(limits: Mqtt5Limits): Pick<AedesOptions, 'topicAliasMaximum' | 'receiveMaximum'> {
  return { topicAliasMaximum: limits.topicAliasMaximum, receiveMaximum: limits.receiveMaximum }
}

export class Mqtt5FlowControl {
  private readonly receive: ReceiveMaximum
  private readonly shared: SharedSubscriptions
  private readonly aliases: OutgoingTopicAliases

  constructor(
    aedes: Aedes,
    store: GatedStore & ShareStore & Parameters<typeof replayWithIdentifiers>[0],
    private readonly limits: Mqtt5Limits,
  ) {
    this.receive = new ReceiveMaximum(store)
    replayWithIdentifiers(store)
    this.shared = new SharedSubscriptions(aedes, store)
    this.aliases = new OutgoingTopicAliases(aedes)
    advertiseInConnack(aedes, { subscriptionIdentifiersAvailable: true, sharedSubscriptionAvailable: true })
    // aedes reads the hook from the instance each time it forwards a message to a client.
    const forward = aedes.authorizeForward.bind(aedes)
    aedes.authorizeForward = (client, packet) => {
      const out = forward(client, packet) as BrokerPacket | null | undefined
      if (!out || !fitsClient(client as ClientInternals & { maximumPacketSize?: number }, out)) return null
      this.receive.forwarded(client, out)
      return out
    }
  }

  /** aedes' preConnect hook, before installDeliveryWindow. */
  connect(
    client: ClientInternals,
    packet: { protocolVersion?: number; keepalive?: number; clean?: boolean; properties?: { receiveMaximum?: number; topicAliasMaximum?: number } },
  ): void {
    this.shared.connect(client)
    this.aliases.connect(client, packet)
    capKeepAlive(client, packet, this.limits.maxKeepAliveSeconds)
    enforceServerReceiveMaximum(client, packet, this.limits.receiveMaximum)
    this.receive.install(client, packet)
    installSubscriptionIdentifiers(client, packet)
  }
}
