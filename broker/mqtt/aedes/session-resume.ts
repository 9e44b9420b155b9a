/**
 * A persistent session that resumes gets the messages queued for it before any newer one.
 *
 * aedes 2.0.0-beta.1 connects in this order (lib/handlers/connect.js): restoreSubs (the session's
 * subscriptions go live on the emitter), registerClient, CONNACK, emptyQueue (the stored queue is
 * read from LevelDB and written out one message at a time). A message published from restoreSubs on
 * is written to the socket as soon as it arrives, while the queue is still being read, so a
 * subscriber coming back received the first new messages on a topic before the older ones queued for
 * it. [MQTT-4.6.0-5] / [MQTT-4.6.0-6]: a topic is ordered; the server sends PUBLISH packets to a
 * subscriber in the order it received them.
 *
 * We hold live deliveries to such a client from CONNECT until aedes reports it connected (emptyQueue
 * is done), then release them in order. A held message can also be in the replayed queue: aedes
 * queues every QoS 1/2 message for a persistent session, online or not, so one published just before
 * the queue was read is in both. Those held copies are dropped; sent again they would reach the
 * client twice, and aedes' outgoingUpdate of a copy the client already acknowledged fails ("no such
 * packet") and drops the connection.
 *
 * Held messages stop counting against the emitter's concurrency (other traffic flows); their
 * publishers stay held until they are released, as with the delivery window.
 */
import { Readable } from 'node:stream'
import type { BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'

/** The store operation aedes' emptyQueue reads a session's queue with. */
export interface ReplayStore {
  outgoingStream(client: { id: string }): Readable
}

interface Held {
  deliver: DeliverFn
  packet: BrokerPacket
  done: () => void
}

function messageKey(packet: { brokerId?: unknown; brokerCounter?: unknown }): string {
  return `${String(packet.brokerId)}:${String(packet.brokerCounter)}`
}

export class SessionResume {
  /** Per resuming client: the messages its queue replay has read (brokerId:brokerCounter). */
  private readonly replayed = new WeakMap<object, Set<string>>()

  constructor(store: ReplayStore) {
    const outgoingStream = store.outgoingStream.bind(store)
    store.outgoingStream = (client) => {
      const stream = outgoingStream(client)
      const seen = this.replayed.get(client)
      return seen ? Readable.from(record(stream, seen)) : stream
    }
  }

  /**
   * Wraps the client's deliver functions (aedes' preConnect hook, after installDeliveryWindow) when
   * the CONNECT resumes a session (Clean Session / Clean Start 0).
   */
  hold(client: ClientInternals, connect: { clean?: boolean }, detach: (packet: BrokerPacket) => void): void {
    if (connect.clean !== false) return
    const seen = new Set<string>()
    this.replayed.set(client, seen)
    let held: Held[] | undefined = []

    const send = (deliver: DeliverFn, packet: BrokerPacket, done: () => void) => {
      if (seen.has(messageKey(packet))) setImmediate(done)
      else deliver(packet, done)
    }
    const wrap =
      (deliver: DeliverFn): DeliverFn =>
      (packet, done) => {
        if (!held) {
          send(deliver, packet, done)
          return
        }
        held.push({ deliver, packet, done })
        detach(packet)
      }
    const release = (deliverHeld: boolean) => {
      const pending = held ?? []
      held = undefined
      for (const h of pending) {
        if (deliverHeld) send(h.deliver, h.packet, h.done)
        else setImmediate(h.done) // connection gone: the session's store still has its QoS 1/2 messages
      }
    }

    client.deliver0 = wrap(client.deliver0)
    client.deliverQoS = wrap(client.deliverQoS)
    // 'connected' comes after the last connect action, emptyQueue; a failed connect closes the socket.
    client.once('connected', () => release(true))
    client.conn.once('close', () => release(false))
  }
}

async function* record(stream: Readable, seen: Set<string>): AsyncGenerator<unknown> {
  for await (const packet of stream) {
    seen.add(messageKey(packet as BrokerPacket))
    yield packet
  }
}
