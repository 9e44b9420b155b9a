/**
 * Subscription Identifiers: every matching subscription's identifier on the message, queued ones too.
 *
 * aedes 2.0.0-beta.1 stores the identifier with the subscription and echoes it, with two gaps:
 * - A message matching several of a client's subscriptions reaches it once (aedes drops the other
 *   copies as duplicates), carrying the identifier of whichever subscription fired first.
 *   [MQTT-3.3.4-4]: a single copy carries the identifiers of all matching subscriptions.
 * - A message queued for an offline session is replayed straight from the store, with no identifier
 *   at all. [MQTT-3.3.4-3]: the identifier goes with every message sent as a result of the subscription.
 * Also, a client must not put a Subscription Identifier on its own PUBLISH [MQTT-3.3.4-6]; aedes
 * forwarded one to subscribers as it came. It is dropped on the way in.
 *
 * Retained messages sent because of a new subscription carry that subscription's identifier only;
 * aedes does that itself (they have no brokerId, which is how they are told apart here).
 */
import type { EventEmitter } from 'node:events'
import { Readable } from 'node:stream'
import { matchTopic } from '../../../src/topic/match.js'
import type { BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'

interface WithSi {
  si?: number
}

type Properties = Record<string, unknown> & { subscriptionIdentifier?: number | number[] }

/** Identifiers of the client's subscriptions whose filter matches `topic` (shared ones excepted: see shared-subscriptions.ts). */
export function matchingIdentifiers(subscriptions: Record<string, unknown>, topic: string, into: Set<number>): Set<number> {
  for (const [topicFilter, sub] of Object.entries(subscriptions)) {
    const si = (sub as WithSi | undefined)?.si
    if (si !== undefined && matchTopic(topicFilter, topic)) into.add(si)
  }
  return into
}

function currentIds(properties: Properties | undefined): number[] {
  const si = properties?.subscriptionIdentifier
  if (si === undefined) return []
  return Array.isArray(si) ? si : [si]
}

/** Properties with the identifiers set (a fresh object: aedes shares properties objects between copies). */
function withIds(properties: Properties | undefined, ids: Set<number>): Properties | undefined {
  const { subscriptionIdentifier: _dropped, ...rest } = properties ?? {}
  if (ids.size === 0) return properties === undefined ? undefined : rest
  const list = [...ids].sort((a, b) => a - b)
  return { ...rest, subscriptionIdentifier: list.length === 1 ? list[0]! : list }
}

/** Wraps the client's deliver functions (preConnect, under the delivery window) to list every matching identifier. */
export function installSubscriptionIdentifiers(client: ClientInternals, connect: { protocolVersion?: number }): void {
  if (connect.protocolVersion !== 5) return
  const parser = (client as unknown as { _parser: EventEmitter })._parser
  // Before aedes handles the packet: a client's own Subscription Identifier never travels on.
  parser.prependListener('packet', (packet: { cmd: string; properties?: Properties }) => {
    if (packet.cmd === 'publish' && packet.properties?.subscriptionIdentifier !== undefined) delete packet.properties.subscriptionIdentifier
  })
  const wrap =
    (deliver: DeliverFn): DeliverFn =>
    (packet, done) => {
      // A retained message sent for a new subscription (brokerId null): aedes set that one's identifier.
      if (!packet.brokerId) {
        deliver(packet, done)
        return
      }
      const props = packet.properties as Properties | undefined
      const ids = matchingIdentifiers(client.subscriptions, packet.topic, new Set(currentIds(props)))
      if (ids.size > 0 || props?.subscriptionIdentifier !== undefined) packet.properties = withIds(props, ids) as BrokerPacket['properties']
      deliver(packet, done)
    }
  client.deliver0 = wrap(client.deliver0)
  client.deliverQoS = wrap(client.deliverQoS)
}

/** A stored session's queue, replayed with the identifiers of the subscriptions it was restored with. */
export function replayWithIdentifiers(store: { outgoingStream(client: { id: string }): Readable }): void {
  const outgoingStream = store.outgoingStream.bind(store)
  store.outgoingStream = (client) => {
    const stream = outgoingStream(client)
    const subscriptions = (client as Partial<ClientInternals>).subscriptions
    if (!subscriptions || (client as Partial<ClientInternals>).version !== 5) return stream
    return Readable.from(addIds(stream, subscriptions))
  }
}

async function* addIds(stream: Readable, subscriptions: Record<string, unknown>): AsyncGenerator<unknown> {
  for await (const item of stream) {
    const packet = item as { cmd?: string; topic?: string; properties?: Properties }
    if (packet.cmd === 'publish' && typeof packet.topic === 'string') {
      const ids = matchingIdentifiers(subscriptions, packet.topic, new Set())
      if (ids.size > 0) packet.properties = withIds(packet.properties, ids)
    }
    yield packet
  }
}
