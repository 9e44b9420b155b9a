/**
 * The Bus over a broker that already runs (mosquitto, EMQX, a cloud broker), as an MQTT 5 client of it: the home
 * node's external-broker mode and the Worker's BROKER_URL mode. mqtt.js works on both runtimes; each passes a factory
 * that opens one client over its transport.
 *
 * Two connections keep two jobs apart: `state` follows the retained state (every topic, retain flags as published,
 * rebuilt from the broker's replay on every (re)connect, since an outage may have lost topics), `live` carries
 * publishes and live messages (no retained replay on subscribe or reconnect, so subscribers such as webhooks and SSE
 * never see old retained messages as new ones). Health is "connected" only with both up.
 */
import { fromWireProperties, toWireProperties, bytesOf, type WireProperties } from '../mqtt/properties.js'
import type { Message, PublishReceipt, Qos } from '../ports/types.js'
import type { Bus, BusStatus, SubscribeOptions, Unsubscribe } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import { matchTopic } from '../topic/match.js'
import { validateTopicFilter, validateTopicName } from '../topic/validate.js'
import { SubscriberSet } from './subscriber-set.js'

/** A PUBLISH as mqtt.js hands it to a 'message' listener. */
export interface WirePublish {
  topic: string
  payload: Uint8Array | string
  qos: number
  retain?: boolean
  properties?: Record<string, unknown>
}

/** What the bus uses of an mqtt.js MqttClient (which satisfies it as it is). */
export interface MqttClientLike {
  readonly connected: boolean
  on(event: 'message', listener: (topic: string, payload: Uint8Array, packet: WirePublish) => void): unknown
  on(event: 'connect' | 'offline' | 'reconnect', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  once(event: 'connect', listener: () => void): unknown
  subscribeAsync(topicFilter: string, options: { qos: Qos; rap?: boolean; rh?: number }): Promise<unknown>
  publishAsync(topicName: string, payload: Uint8Array, options: { qos: Qos; retain: boolean; properties?: WireProperties }): Promise<unknown>
  endAsync(force?: boolean): Promise<void>
}

/** What differs per connection; the factory adds the transport, credentials and the shared MQTT 5 options. */
export interface ClientRequest {
  role: 'live' | 'state'
  clientId: string
  /** mqtt.js' own resubscription: on for `live`; `state` subscribes anew on every connect to get the replay. */
  resubscribe: boolean
}

export interface MqttClientBusOptions {
  createClient(request: ClientRequest): MqttClientLike
  /** The broker's address for logs, errors and /v1/health: never with a credential in it. */
  shownUrl: string
  /** Prefix of both client ids; `-state` is added for the state connection. */
  clientIdPrefix: string
  log: Logger
  newId(): string
  /** Bytes as the runtime's mqtt.js writes them (a Buffer view on Node, the Buffer shim in workerd). */
  wireBytes(bytes: Uint8Array): Uint8Array
  /** How long start() waits for both connections before it resolves anyway. */
  connectTimeoutMs: number
}

/** Every topic; `$` topics (broker statistics) are left out, as '#' does [MQTT-4.7.2-1]. */
const ALL = '#'
/** Retain Handling 2: send no retained messages when subscribing [MQTT-3.8.3-4]. */
const NO_RETAINED_ON_SUBSCRIBE = 2
/**
 * The broker sends a subscription's retained messages right after its SUBACK, with no end marker. The state is taken
 * as complete once none arrived for this long (and at the latest after RETAINED_SETTLE_MAX_MS).
 */
const RETAINED_QUIET_MS = 150
const RETAINED_SETTLE_MAX_MS = 2000

export class MqttClientBus implements Bus {
  private readonly subscribers = new SubscriberSet((err, topic) => this.options.log.error({ err, topic }, 'bus subscriber threw'))
  private readonly retainedByTopic = new Map<string, Message>()
  private live: MqttClientLike | undefined
  private state: MqttClientLike | undefined
  private started: Promise<void> | undefined
  private retainedSettled: Promise<void> | undefined
  private lastError: string | undefined
  /** When the state connection last received a retained message (the replay is taken as done once it goes quiet). */
  private lastRetainedAt = 0
  private messagesIn = 0
  private messagesOut = 0

  constructor(private readonly options: MqttClientBusOptions) {}

  /**
   * Opens both connections once (idempotent); resolves when they are up, subscribed and the retained replay settled,
   * or when connectTimeoutMs passed. Never rejects: mqtt.js keeps reconnecting, and publish refuses meanwhile.
   */
  start(): Promise<void> {
    if (this.started) return this.started
    const { log, shownUrl, clientIdPrefix } = this.options
    const live = this.options.createClient({ role: 'live', clientId: clientIdPrefix, resubscribe: true })
    const state = this.options.createClient({ role: 'state', clientId: `${clientIdPrefix}-state`, resubscribe: false })
    this.live = live
    this.state = state
    live.on('message', (_topic, _payload, packet) => this.onLive(packet))
    state.on('message', (_topic, _payload, packet) => {
      if (!packet.retain) return
      this.lastRetainedAt = Date.now()
      this.applyRetained(toMessage(packet))
    })
    // After an outage the broker's retained state may have lost topics: start over from its replay.
    state.on('connect', () => {
      this.retainedByTopic.clear()
      this.retainedSettled = this.followRetained(state)
    })
    for (const [client, role] of [
      [live, 'live'],
      [state, 'state'],
    ] as const) {
      client.on('connect', () => {
        this.lastError = undefined
        log.info({ url: shownUrl, role }, 'broker: connected')
      })
      client.on('offline', () => log.warn({ url: shownUrl, role }, 'broker: connection lost, retrying'))
      client.on('reconnect', () => log.debug({ url: shownUrl, role }, 'broker: reconnecting'))
      client.on('error', (err) => {
        this.lastError = err.message
        log.warn({ url: shownUrl, role, err: err.message }, 'broker: error')
      })
    }
    const subscribed = Promise.all([
      whenConnected(live).then(() => live.subscribeAsync(ALL, { qos: 2, rap: true, rh: NO_RETAINED_ON_SUBSCRIBE })),
      whenConnected(state).then(() => this.retainedSettled),
    ]).then(() => undefined)
    this.started = Promise.race([subscribed, delay(this.options.connectTimeoutMs)]).catch((err: unknown) => {
      this.lastError = err instanceof Error ? err.message : String(err)
    })
    return this.started
  }

  /** Why the last connection attempt failed, if it did. */
  get error(): string | undefined {
    return this.lastError
  }

  /** Resolves on the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2); refuses at once while the broker is away. */
  async publish(message: Message): Promise<PublishReceipt> {
    const reason = validateTopicName(message.topic)
    if (reason) throw new Error(reason)
    // mqtt.js would hold the message until it reconnects; the caller should hear 503 and decide instead.
    const live = this.connectedLive()
    const properties = toWireProperties(message.properties, this.options.wireBytes)
    await live.publishAsync(message.topic, this.options.wireBytes(message.payload), {
      qos: message.qos,
      retain: message.retain,
      ...(properties ? { properties } : {}),
    })
    this.messagesOut++
    // The state connection hears of it a moment later; a GET /v1/retained right after this answer must see it now.
    if (message.retain) this.applyRetained(message)
    return { id: this.options.newId() }
  }

  async subscribe(topicFilters: string[], onMessage: (message: Message) => void, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.subscribers.add(topicFilters, onMessage, options)
  }

  /**
   * What the state connection has seen: the broker's retained messages as of its last (re)subscription to '#', kept
   * current by every retained publish since. Right after a (re)connect it waits for the replay to settle; while the
   * broker is away it answers from the last view.
   */
  async retained(topicFilter: string): Promise<Message[]> {
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    await this.retainedSettled
    return [...this.retainedByTopic.values()]
      .filter((m) => matchTopic(topicFilter, m.topic))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
  }

  async clearRetained(topicName: string): Promise<void> {
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 1, retain: true })
  }

  status(): BusStatus {
    return {
      kind: 'external',
      // Both jobs up: publishes and live messages, and the retained view.
      connected: this.live?.connected === true && this.state?.connected === true,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      detail: {
        url: this.options.shownUrl,
        stateConnected: this.state?.connected === true,
        retained: this.retainedByTopic.size,
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      },
    }
  }

  async close(force = false): Promise<void> {
    await Promise.all([this.live?.endAsync(force), this.state?.endAsync(force)])
  }

  private connectedLive(): MqttClientLike {
    if (!this.live?.connected) {
      throw new Error(`the broker at ${this.options.shownUrl} is not connected${this.lastError !== undefined ? ` (${this.lastError})` : ''}`)
    }
    return this.live
  }

  /**
   * Subscribes the state connection to every topic and resolves once the retained replay went quiet. Never rejects:
   * a subscription lost with the connection is made again on the next connect.
   */
  private async followRetained(state: MqttClientLike): Promise<void> {
    try {
      await state.subscribeAsync(ALL, { qos: 1, rap: true })
    } catch (err) {
      this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'broker: state subscription failed')
      return
    }
    const subscribedAt = Date.now()
    this.lastRetainedAt = subscribedAt
    while (Date.now() - this.lastRetainedAt < RETAINED_QUIET_MS && Date.now() - subscribedAt < RETAINED_SETTLE_MAX_MS)
      await delay(RETAINED_QUIET_MS / 3)
  }

  private applyRetained(message: Message): void {
    // An empty retained message clears the topic [MQTT-3.3.1-10].
    if (message.payload.byteLength === 0) this.retainedByTopic.delete(message.topic)
    else this.retainedByTopic.set(message.topic, { ...message, retain: true })
  }

  private onLive(packet: WirePublish): void {
    this.messagesIn++
    this.subscribers.deliver(toMessage(packet))
  }
}

function whenConnected(client: MqttClientLike): Promise<void> {
  if (client.connected) return Promise.resolve()
  return new Promise((resolve) => client.once('connect', () => resolve()))
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function toMessage(packet: WirePublish): Message {
  const properties = fromWireProperties(packet.properties)
  return {
    topic: packet.topic,
    payload: bytesOf(packet.payload),
    qos: packet.qos as Qos,
    retain: packet.retain === true,
    ...(properties ? { properties } : {}),
  }
}
