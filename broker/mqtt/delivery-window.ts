/**
 * Per-subscriber delivery window: one slow subscriber must not stall the whole broker.
 *
 * Stock aedes holds an emitter slot until a message has been written to every subscriber's socket,
 * and waits for 'drain' when a socket is full. One `#` subscriber that stops reading therefore holds
 * all `concurrency` slots and every publisher stalls until drainTimeout (60 s) cuts it off.
 *
 * Here each client gets a window of `maxQueued` messages handed to its socket but not yet written
 * out. While there is room the emitter slot is released at once. When the window is full:
 * - QoS 0 messages to that client are dropped (counted as shed): QoS 0 is "at most once".
 * - QoS 1/2 messages wait in line and keep their emitter slot: that is the backpressure that
 *   finally pauses publishers (aedes reads a publisher's next packets only once its current ones
 *   have been emitted), instead of buffering without bound.
 *
 * It also corrects the delivered QoS, which aedes gets wrong for wildcard subscriptions: aedes looks
 * the subscription up by topic name (`client.subscriptions[packet.topic]`), which only finds exact
 * filters, so a QoS 2 message reached a QoS 1 `a/+` subscriber at QoS 2, and a retained QoS 1 message
 * reached a QoS 0 wildcard subscriber at QoS 1. [MQTT-3.8.4-6] (3.1.1) / [MQTT-3.8.4-8] (5.0): the
 * delivered QoS is the minimum of the published QoS and the granted QoS; with overlapping
 * subscriptions the highest granted QoS applies [MQTT-3.3.5-1].
 */
import type { BrokerPacket, ClientInternals, DeliverFn } from './aedes-internals.js'
import { matchTopic } from '../../src/topic/match.js'

export interface DeliveryCounters {
  /** Messages handed to client sockets. */
  delivered: number
  /** QoS 0 messages dropped because the subscriber's window was full. */
  shed: number
}

export interface DeliveryWindow {
  /** Messages handed to the socket and not yet written out. */
  readonly queued: number
  /** QoS 1/2 messages waiting for room in the window. */
  readonly waiting: number
}

/** Highest QoS granted by the client's subscriptions that match the topic, or undefined when none does. */
export function grantedQos(client: Pick<ClientInternals, 'subscriptions'>, topicName: string): number | undefined {
  let best: number | undefined
  for (const [topicFilter, sub] of Object.entries(client.subscriptions)) {
    if (sub && matchTopic(topicFilter, topicName) && (best === undefined || sub.qos > best)) best = sub.qos
  }
  return best
}

function withQos(packet: BrokerPacket, qos: 0 | 1 | 2): BrokerPacket {
  if (packet.qos === qos) return packet
  // aedes hands each subscriber its own packet object, but copy anyway: the prototype-preserving
  // copy keeps aedes-packet's shape for the code that follows.
  return Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as BrokerPacket, packet, { qos })
}

/**
 * Replaces the client's deliver functions. Call it before the client subscribes (aedes' preConnect
 * hook), because each subscription captures `client.deliver0` / `client.deliverQoS` when it is made.
 */
export function installDeliveryWindow(client: ClientInternals, maxQueued: number, counters: DeliveryCounters): DeliveryWindow {
  const originalQoS = client.deliverQoS
  const original0 = client.deliver0
  const waiting: (() => void)[] = []
  let queued = 0

  const settle = () => {
    queued--
    while (waiting.length > 0 && queued < maxQueued) waiting.shift()!()
  }

  const start = (send: DeliverFn, packet: BrokerPacket, done: () => void) => {
    queued++
    counters.delivered++
    send(packet, settle)
    // The message is now this client's business; free the emitter for everyone else.
    setImmediate(done)
  }

  const deliver = (packet: BrokerPacket, done: () => void) => {
    const granted = grantedQos(client, packet.topic)
    const qos = (granted === undefined ? packet.qos : Math.min(granted, packet.qos)) as 0 | 1 | 2
    if (qos === 0) {
      if (queued >= maxQueued || waiting.length > 0) {
        counters.shed++
        setImmediate(done) // never synchronously: see emitter-gate.ts
        return
      }
      start(original0, withQos(packet, 0), done)
      return
    }
    const go = () => start(originalQoS, withQos(packet, qos), done)
    if (queued < maxQueued && waiting.length === 0) go()
    else waiting.push(go)
  }

  // aedes' deliverQoS calls `that.deliver0` for QoS 0 packets, which is now `deliver` again; the QoS
  // computed there is 0, so it goes straight to original0.
  client.deliver0 = deliver
  client.deliverQoS = deliver

  return {
    get queued() {
      return queued
    },
    get waiting() {
      return waiting.length
    },
  }
}
