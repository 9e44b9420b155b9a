/**
 * The BROKER_URL mode's Bus: the shared MQTT-client bus (src/bus/mqtt-client-bus.ts, also the home node's
 * external-broker mode) over mqtt.js clients on `cloudflare:sockets` TCP (TLS for mqtts://), held by the BrokerHub
 * Durable Object and reused by every request. A bad BROKER_URL leaves it without a broker: every publish is refused
 * with the reason, and status() says it.
 */
import { connect } from 'cloudflare:sockets'
import { Duplex } from 'node:stream'
import type { MqttClient } from 'mqtt'
// The client alone: 'mqtt' itself resolves to its browser build under wrangler, and its connect() needs node:net.
import clientModule from 'mqtt/lib/client'
import { MqttClientBus, type MqttClientLike } from '../../src/bus/mqtt-client-bus.js'
import { SubscriberSet } from '../../src/bus/subscriber-set.js'
import { validateTopicFilter } from '../../src/topic/validate.js'
import type { Bus, BusStatus, SubscribeOptions, Unsubscribe } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import type { Message, PublishReceipt } from '../../src/ports/types.js'
import { ConfigError } from '../../src/config.js'
import type { BrokerTarget } from './broker-url.js'
import { packetBuffer } from '../mqtt-codec.js'

/**
 * The CommonJS module's default export. Node semantics (esbuild in a "type": "module" package) hand over
 * module.exports, whose `.default` is the class; other interop layers hand over the class itself.
 */
const MqttClientClass: typeof MqttClient =
  (clientModule as unknown as { default?: typeof MqttClient }).default ?? (clientModule as unknown as typeof MqttClient)

/** How long the first connection attempt may take before requests are answered (503 on publish). */
const CONNECT_TIMEOUT_MS = 5000

export interface BrokerUrlBusOptions {
  log: Logger
  newId(): string
  /** Opens the byte stream of one connection; `cloudflare:sockets` by default, replaceable in tests. */
  openStream?: (target: BrokerTarget) => Duplex
}

export class BrokerUrlBus implements Bus {
  private readonly inner: MqttClientBus | undefined

  constructor(
    /** The broker, or why BROKER_URL names none (shown on /v1/health and in each publish's 503). */
    private readonly config: BrokerTarget | ConfigError,
    options: BrokerUrlBusOptions,
  ) {
    if (config instanceof ConfigError) return
    const target = config
    const openStream = options.openStream ?? openSocket
    this.inner = new MqttClientBus({
      createClient: ({ clientId, resubscribe }) =>
        new MqttClientClass(() => openStream(target), {
          protocolVersion: 5,
          clean: true,
          keepalive: 30,
          connectTimeout: CONNECT_TIMEOUT_MS,
          reconnectPeriod: 2000,
          resubscribe,
          clientId,
          // mqtt.js takes workerd for a web worker and would reach for worker-timers; workerd's own timers are right here.
          timerVariant: 'native',
          ...(target.username !== undefined ? { username: target.username } : {}),
          ...(target.password !== undefined ? { password: target.password } : {}),
        }) as unknown as MqttClientLike,
      shownUrl: target.shownUrl,
      clientIdPrefix: `postbridge-edge-${options.newId().replace(/-/g, '').slice(0, 12)}`,
      log: options.log,
      newId: options.newId,
      wireBytes: packetBuffer,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    })
  }

  /** Opens both connections once (idempotent); see MqttClientBus.start. */
  start(): Promise<void> {
    return this.inner ? this.inner.start() : Promise.resolve()
  }

  async publish(message: Message): Promise<PublishReceipt> {
    return this.broker().publish(message)
  }

  /** Without a broker nothing ever arrives, but a valid subscription is still taken (an SSE stream stays open). */
  async subscribe(topicFilters: string[], onMessage: (message: Message) => void, options?: SubscribeOptions): Promise<Unsubscribe> {
    return this.inner ? this.inner.subscribe(topicFilters, onMessage, options) : new SubscriberSet(() => {}).add(topicFilters, onMessage, options)
  }

  /** Without a broker there is no retained state to show: an empty list, as before the first connection. */
  async retained(topicFilter: string): Promise<Message[]> {
    if (this.inner) return this.inner.retained(topicFilter)
    const reason = validateTopicFilter(topicFilter)
    if (reason) throw new Error(reason)
    return []
  }

  async clearRetained(topicName: string): Promise<void> {
    return this.broker().clearRetained(topicName)
  }

  status(): BusStatus {
    return this.inner ? this.inner.status() : { kind: 'external', connected: false, detail: { error: this.problem() } }
  }

  async close(): Promise<void> {
    await this.inner?.close(true)
  }

  /** The bus, or an error that says why there is none (the route answers 503 with it). */
  private broker(): MqttClientBus {
    if (!this.inner) throw new Error(this.problem())
    return this.inner
  }

  private problem(): string | undefined {
    return this.config instanceof ConfigError ? this.config.problems.join('; ') : undefined
  }
}

/** A TCP (or TLS) connection from the Worker; workerd refuses private addresses in production, not under wrangler dev. */
function openSocket(target: BrokerTarget): Duplex {
  const socket = connect({ hostname: target.hostname, port: target.port }, { secureTransport: target.tls ? 'on' : 'off', allowHalfOpen: false })
  return Duplex.fromWeb(socket as unknown as Parameters<typeof Duplex.fromWeb>[0])
}
