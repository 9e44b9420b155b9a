/**
 * The parts of aedes 2.0.0-beta.1 that its typings leave out and this broker relies on.
 * Checked against node_modules/aedes/aedes.js and lib/client.js; recheck when aedes is upgraded.
 */
import type { IncomingMessage } from 'node:http'
import type { AedesPublishPacket, Client } from 'aedes'

/** A publish packet as aedes moves it around: wire fields plus brokerId/brokerCounter/messageExpiry. */
export type BrokerPacket = AedesPublishPacket

/** The listener aedes registers with its emitter for each subscription; `done` frees the emitter slot. */
export type DeliverFn = (packet: BrokerPacket, done: () => void) => void

/** aedes calls these with null, undefined or an Error. */
export type Callback = (error?: Error) => void

/** What aedes calls on `broker.mq` (an mqemitter by default). */
export interface Emitter {
  on(topicFilter: string, notify: DeliverFn, done?: () => void): unknown
  removeListener(topicFilter: string, notify: DeliverFn, done?: () => void): unknown
  emit(packet: BrokerPacket, done?: Callback): unknown
  close(done: () => void): unknown
  concurrency?: number
}

/** Per-connection state that lib/client.js keeps on the Client instance. */
export interface ClientInternals extends Client {
  /** Sends one message at QoS 0; assigned in the constructor, captured by each subscription at SUBSCRIBE time. */
  deliver0: DeliverFn
  /** Sends one message at QoS 1/2 (falls back to deliver0 for a QoS 0 packet). */
  deliverQoS: DeliverFn
  /** Active subscriptions keyed by topic filter. */
  subscriptions: Record<string, { qos: number } | undefined>
  req?: IncomingMessage
}

export interface AedesInternals {
  mq: Emitter
  /** `publish(packet, client, done)`: the typings only declare the two-argument form. */
  publish(packet: BrokerPacket, client: Client | null, done: Callback): void
}

export function clientInternals(client: Client): ClientInternals {
  return client as ClientInternals
}
