/**
 * Correction to aedes 2.0.0-beta.1: an MQTT 5 client that resumes its session without a Session
 * Expiry Interval gets the messages queued for it.
 *
 * Defect (lib/handlers/connect.js): `client.clean` tracks whether the *new* session outlives the
 * connection (Session Expiry Interval > 0; absent means 0), and emptyQueueFilter drops every queued
 * message of a `clean` client. A client reconnecting with Clean Start 0 and no Session Expiry Interval
 * got its subscriptions back (sessionPresent 1) but none of the messages queued while it was away: they
 * were deleted unsent. [MQTT-3.1.2-5]: with Clean Start 0 and an existing session, the server resumes
 * communications based on the state of that session; the new interval only says how long the session
 * lasts after this connection closes.
 *
 * Correction: while aedes replays the stored queue of such a client, `client.clean` reads false; it is
 * put back once the connection is established (emptyQueue is its last connect step), so the session
 * still ends with the connection.
 */
import type { Readable } from 'node:stream'
import type { Client, ConnectPacket } from 'aedes'

interface QueueStore {
  outgoingStream(client: { id: string }): Readable
}

export class ResumeWithoutExpiry {
  private readonly resuming = new WeakSet<object>()

  constructor(store: QueueStore) {
    const outgoingStream = store.outgoingStream.bind(store)
    store.outgoingStream = (client) => {
      if (this.resuming.has(client)) (client as Client).clean = false
      return outgoingStream(client)
    }
  }

  /** aedes' preConnect. */
  noteConnect(client: Client, packet: ConnectPacket): void {
    if (packet.protocolVersion !== 5 || packet.clean !== false) return
    const expiry = packet.properties?.sessionExpiryInterval
    if (typeof expiry === 'number' && expiry > 0) return
    this.resuming.add(client)
    client.once('connected', () => {
      this.resuming.delete(client)
      client.clean = true
    })
  }
}
