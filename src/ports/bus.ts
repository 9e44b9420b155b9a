import type { Message, PublishReceipt } from './types.js'

export type Unsubscribe = () => Promise<void>

export interface SubscribeOptions {
  /**
   * MQTT 5 Retain As Published [MQTT-3.8.3-3]: keep the retain flag a message was published with. Without it a live
   * message arrives with retain false, as to any subscriber. The edge link needs it to mirror retained state.
   */
  retainAsPublished?: boolean
}

/**
 * The MQTT side: a broker in process (home), the link (edge), or an external broker. Every adapter passes
 * describeBus (src/testing/bus-contract.ts), which holds it to this:
 * - Retain: a live message reaches a subscriber with retain false, unless it subscribed with Retain As Published
 *   [MQTT-3.3.1-9] [MQTT-3.3.1-12]; an empty retained message clears the topic, and clearRetained is one.
 * - subscribe refuses an invalid filter (rejects) before anything is subscribed.
 * - A subscriber that throws is isolated: the others still get the message, and the bus goes on.
 * - Each message reaches a subscription once, however many of its filters match.
 * - One publisher's messages at one QoS reach subscribers in publish order [MQTT-4.6.0-6].
 * - Where the bus owns the broker (the embedded aedes broker, the memory fake), onMessage has run for every
 *   subscriber before publish resolves, and before an MQTT client's PUBACK. Webhook durability depends on it: the
 *   dispatcher writes its outbox row inside onMessage, so an acknowledged message is in the outbox. A client of
 *   another broker (external broker, BROKER_URL, the edge over the link) hears a message after the broker
 *   acknowledged it, so there a crash between the two can lose a webhook delivery.
 */
export interface Bus {
  /** Resolves once the broker accepted the message; for qos >= 1 it is in the broker's persistent store. */
  publish(message: Message): Promise<PublishReceipt>
  /** Calls onMessage for each message matching any of the filters until the returned function is called. */
  subscribe(topicFilters: string[], onMessage: (message: Message) => void, options?: SubscribeOptions): Promise<Unsubscribe>
  /** Retained messages whose topic matches the filter. */
  retained(topicFilter: string): Promise<Message[]>
  /** Optional: the same, one at a time, so a caller keeps only what it needs (GET /v1/retained pages). */
  eachRetained?(topicFilter: string, onMessage: (message: Message) => void): Promise<void>
  /** Removes the retained message of a topic name (an empty retained publish). */
  clearRetained(topicName: string): Promise<void>
  /** Runtime facts for /v1/health and /metrics. */
  status(): BusStatus
}

export interface BusStatus {
  kind: 'embedded' | 'link' | 'external' | 'memory'
  connected: boolean
  clients?: number
  messagesIn?: number
  messagesOut?: number
  detail?: Record<string, unknown>
}
