/** The Bus port over the in-process aedes broker: the HTTP API publishes and subscribes as the broker itself. */
import { randomUUID } from 'node:crypto'
import { bytesOf as asBytes, fromWireProperties, toWireProperties } from '../../src/mqtt/properties.js'
import type { Message, PublishReceipt, Qos } from '../../src/ports/types.js'
import type { Bus, BusStatus, SubscribeOptions, Unsubscribe } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import { matchTopic } from '../../src/topic/match.js'
import { validateTopicFilter, validateTopicName } from '../../src/topic/validate.js'
import type { BrokerPacket, DeliverFn } from './aedes-internals.js'
import type { PostbridgeAedes } from './aedes/publish-flow.js'
import type { BrokerStore, StoredPacket } from './persistence.js'

type WireProperties = NonNullable<BrokerPacket['properties']>

/** A view of a Uint8Array as a Buffer, without copying (aedes and mqtt-packet want Buffers). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function toMessage(packet: BrokerPacket | StoredPacket, retain: boolean, nowMs: number): Message {
  const properties = fromWireProperties(packet.properties as Record<string, unknown> | undefined, nowMs, packet.messageExpiry as number | undefined)
  const message: Message = { topic: packet.topic, payload: asBytes(packet.payload), qos: (packet.qos ?? 0) as Qos, retain }
  if (properties) message.properties = properties
  return message
}

export interface AedesBusOptions {
  aedes: PostbridgeAedes
  store: BrokerStore
  log: Logger
  /** Messages handed to MQTT clients, and extra facts for status().detail (flood guard counters). */
  stats?: () => { deliveredToClients: number; detail: Record<string, unknown> }
}

export class AedesBus implements Bus {
  /** Messages handed to Bus subscribers. */
  private delivered = 0
  private readonly aedes: PostbridgeAedes

  constructor(private readonly options: AedesBusOptions) {
    this.aedes = options.aedes
  }

  /** Messages delivered to Bus subscribers, for status(). */
  get deliveredToSubscribers(): number {
    return this.delivered
  }

  publish(message: Message): Promise<PublishReceipt> {
    const reason = validateTopicName(message.topic)
    if (reason) return Promise.reject(new Error(reason))
    if (message.qos !== 0 && message.qos !== 1 && message.qos !== 2) return Promise.reject(new Error('qos must be 0, 1 or 2'))
    if (this.aedes.closed) return Promise.reject(new Error('the MQTT broker is closed'))
    const packet = {
      cmd: 'publish' as const,
      topic: message.topic,
      payload: asBuffer(message.payload),
      qos: message.qos,
      retain: message.retain,
      dup: false,
      properties: toWireProperties(message.properties, asBuffer) as WireProperties | undefined,
    }
    // Not through a client, so no client ACL applies. aedes calls back after the retained store and,
    // for QoS >= 1, the persistent sessions' queues are written, and every subscriber has it.
    return new Promise((resolve, reject) => {
      this.aedes.publish(packet, null, (err) => (err ? reject(err) : resolve({ id: randomUUID() })))
    })
  }

  async subscribe(topicFilters: string[], onMessage: (message: Message) => void, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    for (const topicFilter of topicFilters) {
      const reason = validateTopicFilter(topicFilter)
      if (reason) throw new Error(`${topicFilter}: ${reason}`)
    }
    const filters = [...new Set(topicFilters)]
    // One message matching two of the filters is delivered once: the emitter hands every listener
    // the same packet object.
    const seen = new WeakSet<object>()
    const listener: DeliverFn = (packet, done) => {
      // [MQTT-4.7.2-1] '#' and '+/...' do not match `$` topics (aedes' own $SYS traffic included).
      if (seen.has(packet) || !filters.some((f) => matchTopic(f, packet.topic))) {
        done()
        return
      }
      seen.add(packet)
      this.delivered++
      try {
        // The emitter sees the packet as published, retain flag included: keep it only when asked
        // (Retain As Published [MQTT-3.3.1-12] [MQTT-3.3.1-13]).
        onMessage(toMessage(packet, options.retainAsPublished === true && packet.retain === true, Date.now()))
      } catch (err) {
        this.options.log.error({ err, topic: packet.topic }, 'bus subscriber threw')
      }
      done()
    }
    await Promise.all(filters.map((f) => new Promise<void>((resolve) => this.aedes.subscribe(f, listener, resolve))))
    let active = true
    return async () => {
      if (!active) return
      active = false
      await Promise.all(filters.map((f) => new Promise<void>((resolve) => this.aedes.unsubscribe(f, listener, resolve))))
    }
  }

  async retained(topicFilter: string): Promise<Message[]> {
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    const nowMs = Date.now()
    const stored = await this.options.store.retainedMatching(topicFilter)
    return stored
      .filter((p) => matchTopic(topicFilter, p.topic))
      .filter((p) => p.messageExpiry === undefined || p.messageExpiry > nowMs)
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
      .map((p) => toMessage(p, true, nowMs))
  }

  async eachRetained(topicFilter: string, onMessage: (message: Message) => void): Promise<void> {
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    const nowMs = Date.now()
    await this.options.store.eachRetained(topicFilter, (p) => {
      if (!matchTopic(topicFilter, p.topic)) return
      if (p.messageExpiry !== undefined && p.messageExpiry <= nowMs) return
      onMessage(toMessage(p, true, nowMs))
    })
  }

  async clearRetained(topicName: string): Promise<void> {
    // An empty retained publish: the store drops the topic and current subscribers see it [MQTT-3.3.1-10].
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 0, retain: true })
  }

  status(): BusStatus {
    const aedes = this.aedes
    const stats = this.options.stats?.()
    return {
      kind: 'embedded',
      connected: !aedes.closed,
      clients: aedes.closed ? 0 : aedes.connectedClients,
      messagesIn: aedes.messagesIn,
      messagesOut: this.delivered + (stats?.deliveredToClients ?? 0),
      detail: stats?.detail,
    }
  }
}
