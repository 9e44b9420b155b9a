/**
 * The Bus over a broker named by BROKER_URL: mqtt.js MQTT 5 clients on `cloudflare:sockets` TCP (TLS for mqtts://),
 * held by the BrokerHub Durable Object and reused by every request. As the home node's external-broker mode
 * (broker/external/external-bus.ts) it keeps two jobs on two connections: `state` follows the retained state
 * (every topic, retain flags as published), `live` carries publishes and live messages (no retained replay on
 * subscribe or reconnect, so an SSE stream never sees old retained messages as new ones).
 */
import { SubscriberSet } from '../src/bus/subscriber-set.js'
import { connect } from 'cloudflare:sockets'
import { Duplex } from 'node:stream'
import type { IClientOptions, IClientPublishOptions, MqttClient } from 'mqtt'
// The client alone: 'mqtt' itself resolves to its browser build under wrangler, and its connect() needs node:net.
import clientModule from 'mqtt/lib/client'
import type { IPublishPacket } from 'mqtt-packet'
import type { Bus, BusStatus, Logger, Message, MessageProperties, PublishReceipt, Qos, SubscribeOptions, Unsubscribe } from '../src/ports.js'
import { matchTopic } from '../src/topic/match.js'
import { validateTopicFilter, validateTopicName } from '../src/topic/validate.js'
import type { BrokerTarget, BrokerUrlResult } from './broker-url.js'
import { packetBuffer } from './mqtt-codec.js'

/**
 * The CommonJS module's default export. Node semantics (esbuild in a "type": "module" package) hand over
 * module.exports, whose `.default` is the class; other interop layers hand over the class itself.
 */
const MqttClientClass: typeof MqttClient = (clientModule as unknown as { default?: typeof MqttClient }).default ?? (clientModule as unknown as typeof MqttClient)

/** Every topic; `$` topics (broker statistics) are left out, as '#' does [MQTT-4.7.2-1]. */
const ALL = '#'
/** Retain Handling 2: send no retained messages when subscribing [MQTT-3.8.3-4]. */
const NO_RETAINED_ON_SUBSCRIBE = 2
/** How long the first connection attempt may take before requests are answered (503 on publish). */
const CONNECT_TIMEOUT_MS = 5000
/**
 * The broker sends a subscription's retained messages right after its SUBACK, with no end marker. The state is taken
 * as complete once none arrived for this long (and at the latest after RETAINED_SETTLE_MAX_MS).
 */
const RETAINED_QUIET_MS = 150
const RETAINED_SETTLE_MAX_MS = 2000

export interface BrokerUrlBusOptions {
  log: Logger
  newId(): string
  /** Opens the byte stream of one connection; `cloudflare:sockets` by default, replaceable in tests. */
  openStream?: (target: BrokerTarget) => Duplex
}

export class BrokerUrlBus implements Bus {
  private readonly subscribers = new SubscriberSet()
  private readonly retainedByTopic = new Map<string, Message>()
  private live: MqttClient | undefined
  private state: MqttClient | undefined
  private started: Promise<void> | undefined
  private retainedSettled: Promise<void> | undefined
  private lastError: string | undefined
  /** When the state connection last received a retained message (the replay is taken as done once it goes quiet). */
  private lastRetainedAt = 0
  private messagesIn = 0
  private messagesOut = 0

  constructor(
    private readonly config: BrokerUrlResult,
    private readonly options: BrokerUrlBusOptions,
  ) {}

  /**
   * Opens both connections once (idempotent); resolves when they are up and subscribed, or when the first attempt
   * failed or timed out. Never rejects: mqtt.js keeps reconnecting, and publish answers 503 meanwhile.
   */
  start(): Promise<void> {
    if (this.started) return this.started
    const target = this.config.target
    if (!target) return (this.started = Promise.resolve())
    const { log } = this.options
    const id = this.options.newId().replace(/-/g, '').slice(0, 12)
    const openStream = this.options.openStream ?? openSocket
    const base: IClientOptions = {
      protocolVersion: 5,
      clean: true,
      keepalive: 30,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: 2000,
      // The live connection's '#' comes back by itself; the state connection subscribes anew on every connect.
      resubscribe: true,
      // mqtt.js takes workerd for a web worker and would reach for worker-timers; workerd's own timers are right here.
      timerVariant: 'native',
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
    }
    const live = new MqttClientClass(() => openStream(target), { ...base, clientId: `postbridge-edge-${id}` })
    const state = new MqttClientClass(() => openStream(target), { ...base, clientId: `postbridge-edge-${id}-state`, resubscribe: false })
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
    for (const [client, role] of [[live, 'live'], [state, 'state']] as const) {
      client.on('connect', () => {
        this.lastError = undefined
        log.info({ url: target.shownUrl, role }, 'broker: connected')
      })
      client.on('offline', () => log.warn({ url: target.shownUrl, role }, 'broker: connection lost, retrying'))
      client.on('error', (err) => {
        this.lastError = err.message
        log.warn({ url: target.shownUrl, role, err: err.message }, 'broker: error')
      })
    }
    const subscribed = Promise.all([
      whenConnected(live).then(() => live.subscribeAsync(ALL, { qos: 2, rap: true, rh: NO_RETAINED_ON_SUBSCRIBE })),
      whenConnected(state).then(() => this.retainedSettled),
    ]).then(() => undefined)
    this.started = Promise.race([subscribed, delay(CONNECT_TIMEOUT_MS)]).catch((err: unknown) => {
      this.lastError = err instanceof Error ? err.message : String(err)
    })
    return this.started
  }

  /** Resolves on the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2); refuses at once while the broker is away. */
  async publish(message: Message): Promise<PublishReceipt> {
    const live = this.connectedLive()
    const reason = validateTopicName(message.topic)
    if (reason) throw new Error(reason)
    const properties = toWireProperties(message.properties)
    const publishOptions: IClientPublishOptions = { qos: message.qos, retain: message.retain, ...(properties ? { properties } : {}) }
    await live.publishAsync(message.topic, packetBuffer(message.payload), publishOptions)
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
   * broker is away it answers from the last view, as the link mode does.
   */
  async retained(topicFilter: string): Promise<Message[]> {
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    await this.retainedSettled
    return [...this.retainedByTopic.values()].filter((m) => matchTopic(topicFilter, m.topic)).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
  }

  async clearRetained(topicName: string): Promise<void> {
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 1, retain: true })
  }

  status(): BusStatus {
    const { target, problem } = this.config
    if (!target) return { kind: 'external', connected: false, detail: { error: problem } }
    return {
      kind: 'external',
      // Both jobs up: publishes and live messages, and the retained view.
      connected: this.live?.connected === true && this.state?.connected === true,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      detail: {
        url: target.shownUrl,
        stateConnected: this.state?.connected === true,
        retained: this.retainedByTopic.size,
        ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      },
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.live?.endAsync(true), this.state?.endAsync(true)])
  }

  /** The live client, or an error that says why there is none (the route answers 503 with it). */
  private connectedLive(): MqttClient {
    const { target, problem } = this.config
    if (!target) throw new Error(problem)
    if (!this.live?.connected) {
      throw new Error(`the broker at ${target.shownUrl} is not connected${this.lastError !== undefined ? ` (${this.lastError})` : ''}`)
    }
    return this.live
  }

  /**
   * Subscribes the state connection to every topic and resolves once the retained replay went quiet. Never rejects:
   * a subscription lost with the connection is made again on the next connect.
   */
  private async followRetained(state: MqttClient): Promise<void> {
    try {
      await state.subscribeAsync(ALL, { qos: 1, rap: true })
    } catch (err) {
      this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'broker: state subscription failed')
      return
    }
    const subscribedAt = Date.now()
    this.lastRetainedAt = subscribedAt
    while (Date.now() - this.lastRetainedAt < RETAINED_QUIET_MS && Date.now() - subscribedAt < RETAINED_SETTLE_MAX_MS) await delay(RETAINED_QUIET_MS / 3)
  }

  private applyRetained(message: Message): void {
    // An empty retained message clears the topic [MQTT-3.3.1-6].
    if (message.payload.byteLength === 0) this.retainedByTopic.delete(message.topic)
    else this.retainedByTopic.set(message.topic, { ...message, retain: true })
  }

  private onLive(packet: IPublishPacket): void {
    this.messagesIn++
    const message = toMessage(packet)
    this.subscribers.deliver(message)
  }
}

/** A TCP (or TLS) connection from the Worker; workerd refuses private addresses in production, not under wrangler dev. */
function openSocket(target: BrokerTarget): Duplex {
  const socket = connect({ hostname: target.hostname, port: target.port }, { secureTransport: target.tls ? 'on' : 'off', allowHalfOpen: false })
  return Duplex.fromWeb(socket as unknown as Parameters<typeof Duplex.fromWeb>[0])
}

function whenConnected(client: MqttClient): Promise<void> {
  if (client.connected) return Promise.resolve()
  return new Promise((resolve) => client.once('connect', () => resolve()))
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function toMessage(packet: IPublishPacket): Message {
  const payload = typeof packet.payload === 'string' ? new TextEncoder().encode(packet.payload) : new Uint8Array(packet.payload)
  const properties = fromWireProperties(packet.properties)
  return { topic: packet.topic, payload, qos: packet.qos as Qos, retain: packet.retain === true, ...(properties ? { properties } : {}) }
}

type WireProperties = NonNullable<IClientPublishOptions['properties']>

function toWireProperties(p: MessageProperties | undefined): WireProperties | undefined {
  if (!p) return undefined
  const out: WireProperties = {}
  if (p.contentType !== undefined) out.contentType = p.contentType
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = packetBuffer(p.correlationData)
  if (p.userProperties !== undefined) out.userProperties = p.userProperties
  return Object.keys(out).length > 0 ? out : undefined
}

/** The MQTT 5 properties Postbridge carries (topic alias and subscription identifiers stay on the wire). */
function fromWireProperties(p: IPublishPacket['properties']): MessageProperties | undefined {
  if (!p) return undefined
  const out: MessageProperties = {}
  if (typeof p.contentType === 'string') out.contentType = p.contentType
  if (typeof p.payloadFormatIndicator === 'boolean') out.payloadFormatIndicator = p.payloadFormatIndicator
  if (typeof p.messageExpiryInterval === 'number') out.messageExpiryInterval = p.messageExpiryInterval
  if (typeof p.responseTopic === 'string') out.responseTopic = p.responseTopic
  if (p.correlationData !== undefined) out.correlationData = new Uint8Array(p.correlationData)
  if (p.userProperties && typeof p.userProperties === 'object') out.userProperties = p.userProperties as Record<string, string | string[]>
  return Object.keys(out).length > 0 ? out : undefined
}
