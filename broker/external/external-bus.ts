/**
 * The Bus port over a broker that already runs (mosquitto, EMQX, a cloud broker): the home node is an mqtt.js
 * MQTT 5 client of it. Two connections keep two jobs apart: one follows the retained state (every topic, retain
 * flags as published), the other carries publishes and live messages (no retained replay on subscribe or reconnect,
 * so subscribers such as webhooks never see old retained messages again as new ones).
 */
import { SubscriberSet } from '../../src/bus/subscriber-set.js'
import { randomBytes, randomUUID } from 'node:crypto'
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import type { Bus, BusStatus, Logger, Message, PublishReceipt, Qos, SubscribeOptions, Unsubscribe } from '../../src/ports.js'
import { matchTopic } from '../../src/topic/match.js'
import { validateTopicFilter, validateTopicName } from '../../src/topic/validate.js'
import { fromWireProperties, toWireProperties } from '../mqtt/aedes-bus.js'

export interface ExternalBusOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  url: string
  username?: string
  password?: string
  log: Logger
  /** How long start-up waits for the broker before failing. */
  connectTimeoutMs?: number
}

/** Every topic; `$` topics (broker statistics) are left out, as '#' does [MQTT-4.7.2-1]. */
const ALL = '#'
/** Retain Handling 2: send no retained messages when subscribing [MQTT-3.8.3-4]. */
const NO_RETAINED_ON_SUBSCRIBE = 2

export class ExternalBus implements Bus {
  private readonly subscribers = new SubscriberSet()
  private readonly retainedByTopic = new Map<string, Message>()
  private messagesIn = 0
  private messagesOut = 0

  private constructor(
    private readonly live: MqttClient,
    private readonly state: MqttClient,
    private readonly shownUrl: string,
  ) {
    live.on('message', (_topic, _payload, packet) => this.onLive(packet))
    state.on('message', (_topic, _payload, packet) => this.onState(packet))
  }

  /** Connects both clients and subscribes; fails with the broker's address when it cannot be reached. */
  static async connect(options: ExternalBusOptions): Promise<ExternalBus> {
    const shown = withoutCredentials(options.url)
    const id = randomBytes(4).toString('hex')
    const base: IClientOptions = {
      protocolVersion: 5,
      clean: true,
      keepalive: 30,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // A home broker restarting (apt upgrade, reboot) is normal: mqtt.js retries, resubscribing each time.
      reconnectPeriod: 2000,
      resubscribe: true,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    }
    const live = mqtt.connect(options.url, { ...base, clientId: `postbridge-${id}` })
    const state = mqtt.connect(options.url, { ...base, clientId: `postbridge-${id}-state` })
    try {
      await Promise.all([firstConnect(live, shown, base.connectTimeout!), firstConnect(state, shown, base.connectTimeout!)])
      const bus = new ExternalBus(live, state, shown)
      await live.subscribeAsync(ALL, { qos: 2, rap: true, rh: NO_RETAINED_ON_SUBSCRIBE })
      await state.subscribeAsync(ALL, { qos: 1, rap: true })
      for (const [client, role] of [[live, 'live'], [state, 'state']] as const) {
        client.on('offline', () => options.log.warn({ url: shown, role }, 'external broker: connection lost, retrying'))
        client.on('reconnect', () => options.log.debug({ url: shown, role }, 'external broker: reconnecting'))
        client.on('connect', () => options.log.info({ url: shown, role }, 'external broker: connected'))
        client.on('error', (err) => options.log.warn({ url: shown, role, err: err.message }, 'external broker: error'))
      }
      return bus
    } catch (err) {
      await Promise.all([live.endAsync(true), state.endAsync(true)])
      throw err
    }
  }

  /** Resolves on the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2); refuses at once while the broker is away. */
  async publish(message: Message): Promise<PublishReceipt> {
    const reason = validateTopicName(message.topic)
    if (reason) throw new Error(reason)
    // mqtt.js would hold the message until it reconnects; the caller should hear 503 and decide instead.
    if (!this.live.connected) throw new Error(`the external broker at ${this.shownUrl} is not connected`)
    const properties = toWireProperties(message.properties)
    const publishOptions: IClientPublishOptions = { qos: message.qos, retain: message.retain, ...(properties ? { properties } : {}) }
    await this.live.publishAsync(message.topic, Buffer.from(message.payload), publishOptions)
    this.messagesOut++
    return { id: randomUUID() }
  }

  async subscribe(topicFilters: string[], onMessage: (message: Message) => void, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.subscribers.add(topicFilters, onMessage, options)
  }

  /** From the state connection's copy, which the broker keeps current (retained messages arrive on every change). */
  async retained(topicFilter: string): Promise<Message[]> {
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    return [...this.retainedByTopic.values()].filter((m) => matchTopic(topicFilter, m.topic)).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
  }

  async clearRetained(topicName: string): Promise<void> {
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 1, retain: true })
    this.retainedByTopic.delete(topicName)
  }

  status(): BusStatus {
    return {
      kind: 'external',
      connected: this.live.connected,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      detail: { url: this.shownUrl, stateConnected: this.state.connected, retained: this.retainedByTopic.size },
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.live.endAsync(), this.state.endAsync()])
  }

  private onLive(packet: IPublishPacket): void {
    this.messagesIn++
    const message = toMessage(packet)
    this.subscribers.deliver(message)
  }

  private onState(packet: IPublishPacket): void {
    if (!packet.retain) return
    const message = toMessage(packet)
    // An empty retained message clears the topic [MQTT-3.3.1-6].
    if (message.payload.byteLength === 0) this.retainedByTopic.delete(message.topic)
    else this.retainedByTopic.set(message.topic, message)
  }
}

function toMessage(packet: IPublishPacket): Message {
  const payload = typeof packet.payload === 'string' ? new TextEncoder().encode(packet.payload) : new Uint8Array(packet.payload)
  const properties = fromWireProperties(packet.properties as Record<string, unknown> | undefined, Date.now())
  return { topic: packet.topic, payload, qos: packet.qos as Qos, retain: packet.retain === true, ...(properties ? { properties } : {}) }
}

function firstConnect(client: MqttClient, shownUrl: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`cannot reach the external broker at ${shownUrl} within ${timeoutMs} ms`)), timeoutMs)
    const onError = (err: Error) => done(new Error(`external broker at ${shownUrl}: ${err.message}`))
    const onConnect = () => done()
    function done(err?: Error) {
      clearTimeout(timer)
      client.off('connect', onConnect)
      client.off('error', onError)
      if (err) reject(err)
      else resolve()
    }
    client.once('connect', onConnect)
    client.once('error', onError)
  })
}

/** The URL for logs and /v1/health: never with a username or password in it. */
function withoutCredentials(url: string): string {
  const u = new URL(url)
  u.username = ''
  u.password = ''
  return u.toString()
}
