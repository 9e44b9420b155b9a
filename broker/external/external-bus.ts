/**
 * The external-broker mode's Bus: the shared MQTT-client bus (src/bus/mqtt-client-bus.ts) over mqtt.js on Node
 * (mqtt://, mqtts://, ws://, wss://). Start-up fails with the broker's address when it cannot be reached.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import mqtt, { type IClientOptions } from 'mqtt'
import { MqttClientBus, type MqttClientLike } from '../../src/bus/mqtt-client-bus.js'
import type { Logger } from '../../src/ports/logger.js'

export interface ExternalBusOptions {
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
  url: string
  username?: string
  password?: string
  log: Logger
  /** How long start-up waits for the broker before failing. */
  connectTimeoutMs?: number
}

/** A view of the bytes as a Buffer, without copying (mqtt.js writes Buffers). */
const asBuffer = (bytes: Uint8Array): Uint8Array => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

export class ExternalBus extends MqttClientBus {
  /** Connects both clients and subscribes; fails with the broker's address when it cannot be reached. */
  static async connect(options: ExternalBusOptions): Promise<ExternalBus> {
    const shownUrl = withoutCredentials(options.url)
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    const base: IClientOptions = {
      protocolVersion: 5,
      clean: true,
      keepalive: 30,
      connectTimeout: connectTimeoutMs,
      // A home broker restarting (apt upgrade, reboot) is normal: mqtt.js retries.
      reconnectPeriod: 2000,
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    }
    const bus = new ExternalBus({
      createClient: ({ clientId, resubscribe }) => mqtt.connect(options.url, { ...base, clientId, resubscribe }) as unknown as MqttClientLike,
      shownUrl,
      clientIdPrefix: `postbridge-${randomBytes(4).toString('hex')}`,
      log: options.log,
      newId: randomUUID,
      wireBytes: asBuffer,
      connectTimeoutMs,
    })
    await bus.start()
    if (!bus.status().connected) {
      const why = bus.error
      await bus.close(true)
      throw new Error(`cannot reach the external broker at ${shownUrl} within ${connectTimeoutMs} ms${why ? `: ${why}` : ''}`)
    }
    return bus
  }
}

/** The URL for logs and /v1/health: never with a username or password in it. */
function withoutCredentials(url: string): string {
  const u = new URL(url)
  u.username = ''
  u.password = ''
  return u.toString()
}
