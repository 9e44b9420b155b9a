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
 * - QoS 1/2 messages wait in line. The message stops counting against the emitter's concurrency
 *   (other traffic flows), but its publisher stays held: aedes reads a client's next packets only
 *   once its current ones are published, and a QoS 1 PUBACK goes out only then (publish-flow.ts).
 *   That is the backpressure on publishers, through TCP.
 * - When `maxQueued` messages are waiting as well, or the window made no progress for
 *   `stallTimeoutMs` while messages wait, the subscriber is disconnected (MQTT 5: 0x97 Quota
 *   exceeded): the publishers it holds must not wait for aedes' 60 s drainTimeout. A persistent
 *   session loses nothing: its QoS 1/2 messages are in the store and are sent again on reconnect.
 *
 * It also corrects the delivered QoS, which aedes gets wrong for wildcard subscriptions: aedes looks
 * the subscription up by topic name (`client.subscriptions[packet.topic]`), which only finds exact
 * filters, so a QoS 2 message reached a QoS 1 `a/+` subscriber at QoS 2, and a retained QoS 1 message
 * reached a QoS 0 wildcard subscriber at QoS 1. [MQTT-3.8.4-6] (3.1.1) / [MQTT-3.8.4-8] (5.0): the
 * delivered QoS is the minimum of the published QoS and the granted QoS; with overlapping
 * subscriptions the highest granted QoS applies [MQTT-3.3.5-1].
 */
import type { BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'
import { matchTopic } from '../../../src/topic/match.js'

/** MQTT 5 DISCONNECT reason code: Quota exceeded. */
const QUOTA_EXCEEDED = 0x97

export interface DeliveryCounters {
  /** Messages handed to client sockets. */
  delivered: number
  /** QoS 0 messages dropped because the subscriber's window was full. */
  shed: number
  /** Subscribers disconnected because QoS 1/2 messages piled up behind a full window. */
  overflowDisconnects: number
}

export interface DeliveryWindowOptions {
  maxQueued: number
  /** How long QoS 1/2 messages may wait behind a window that does not move. */
  stallTimeoutMs: number
  counters: DeliveryCounters
  /** Stop counting an in-flight message against the emitter's concurrency (EmitterGate.detach). */
  detach(packet: BrokerPacket): void
  onOverflow?(client: ClientInternals): void
}

/** Highest QoS granted by the client's subscriptions that match the topic, or undefined when none does. */
export function grantedQos(client: Pick<ClientInternals, 'subscriptions'>, topicName: string): number | undefined {
  let best: number | undefined
  const subscriptions = client.subscriptions
  // for...in rather than Object.entries: no arrays made on every QoS 1/2 delivery.
  for (const topicFilter in subscriptions) {
    const sub = subscriptions[topicFilter]
    if (sub && matchTopic(topicFilter, topicName) && (best === undefined || sub.qos > best)) best = sub.qos
  }
  return best
}

function withQos(packet: BrokerPacket, qos: 0 | 1 | 2): BrokerPacket {
  if (packet.qos === qos) return packet
  // A prototype-preserving copy keeps aedes-packet's shape for the code that follows.
  return Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as BrokerPacket, packet, { qos })
}

/**
 * Replaces the client's deliver functions. Call it before the client subscribes (aedes' preConnect
 * hook), because each subscription captures `client.deliver0` / `client.deliverQoS` when it is made.
 * The window itself is made by the first message to the client: most devices only publish, and a
 * thousand idle ones should not each hold a window's state and callbacks.
 */
export function installDeliveryWindow(client: ClientInternals, options: DeliveryWindowOptions): void {
  const original0 = client.deliver0
  const originalQoS = client.deliverQoS
  let window: DeliveryWindow | undefined
  const deliver = (packet: BrokerPacket, done: () => void) => {
    window ??= new DeliveryWindow(client, original0, originalQoS, options)
    window.deliver(packet, done)
  }
  // aedes' deliverQoS calls `that.deliver0` for QoS 0 packets, which is now `deliver` again; the QoS
  // computed there is 0, so it goes straight to original0.
  client.deliver0 = deliver
  client.deliverQoS = deliver
}

/** One client's window: the messages its socket has not written out yet, and those waiting for room. */
class DeliveryWindow {
  private readonly waiting: (() => void)[] = []
  private queued = 0
  private overflowed = false
  private stallTimer: NodeJS.Timeout | undefined
  /** Passed to each write; called when the socket has written the message out. */
  private readonly settle = () => {
    this.queued--
    while (this.waiting.length > 0 && this.queued < this.options.maxQueued) this.waiting.shift()!()
    if (this.stallTimer) this.watchStall() // progress: restart the clock, or stop it when nothing waits
  }
  private readonly overflow = () => {
    if (this.overflowed) return
    this.overflowed = true
    this.options.counters.overflowDisconnects++
    this.options.onOverflow?.(this.client)
    // Closing fails the pending writes, which settles the window and runs the waiting deliveries
    // (they fail fast on the closed connection), so every held emitter callback completes.
    this.client.disconnect({ reasonCode: QUOTA_EXCEEDED })
  }

  constructor(
    private readonly client: ClientInternals,
    private readonly original0: DeliverFn,
    private readonly originalQoS: DeliverFn,
    private readonly options: DeliveryWindowOptions,
  ) {}

  deliver(packet: BrokerPacket, done: () => void): void {
    const { maxQueued, counters } = this.options
    // QoS 0 stays 0 whatever was granted: skip the subscription scan on the busiest path.
    const granted = packet.qos === 0 ? 0 : grantedQos(this.client, packet.topic)
    const qos = (granted === undefined ? packet.qos : Math.min(granted, packet.qos)) as 0 | 1 | 2
    if (qos === 0) {
      if (this.queued >= maxQueued || this.waiting.length > 0) {
        counters.shed++
        setImmediate(done)
        return
      }
      this.start(this.original0, withQos(packet, 0), done)
      return
    }
    if (this.queued < maxQueued && this.waiting.length === 0) {
      this.start(this.originalQoS, withQos(packet, qos), done)
      return
    }
    this.waiting.push(() => this.start(this.originalQoS, withQos(packet, qos), done))
    this.options.detach(packet)
    if (!this.stallTimer) this.watchStall()
    if (this.waiting.length >= maxQueued) this.overflow()
  }

  private start(send: DeliverFn, packet: BrokerPacket, done: () => void): void {
    this.queued++
    this.options.counters.delivered++
    send(packet, this.settle)
    // The message is now this client's business; the emitter can go on (never synchronously: see
    // emitter-gate.ts).
    setImmediate(done)
  }

  private watchStall(): void {
    clearTimeout(this.stallTimer)
    this.stallTimer = this.waiting.length > 0 ? setTimeout(this.overflow, this.options.stallTimeoutMs).unref() : undefined
  }
}
