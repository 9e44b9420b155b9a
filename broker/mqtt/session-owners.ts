/**
 * A session belongs to the user who created it.
 *
 * aedes keys sessions (subscriptions, queued messages, the live connection) by client id alone: a
 * second user connecting with the same client id took the first one's session over, received the
 * messages queued for it and cut its connection. Here the first user to hold a client id owns it for
 * as long as its session lives (connected, or stored after it disconnected); anyone else connecting
 * with that client id is refused with 0x85 Client Identifier not valid (MQTT 3.1.1: return code 0x02,
 * identifier rejected) and the owner's session is left untouched. Anonymous clients are one owner, ''.
 *
 * Refused rather than given a fresh session: a fresh session would need a second key space beside
 * aedes' client ids (two live "shared" connections, two queues, two wills under one id), and a device
 * configured with someone else's client id would silently lose nothing it can see while the owner's
 * device kept working; a refusal is visible at once and changes nothing.
 *
 * Owners are kept in the broker's LevelDB, so the rule holds across restarts as the sessions do.
 */
import type { Client, ConnectPacket } from 'aedes'
import type { Logger } from '../../src/ports/logger.js'
import { OrderedTableWrites } from './ordered-table-writes.js'
import type { BrokerStore } from './persistence.js'

interface Live {
  client: Client
  owner: string
}

interface SessionFlags {
  /** Clean Session (3.1.1) / Clean Start (5): any stored session is discarded. */
  cleanStart: boolean
  /** The new session outlives the connection (3.1.1 Clean Session 0, 5: Session Expiry Interval > 0). */
  persistent: boolean
}

export class SessionOwners {
  private readonly live = new Map<string, Live>()
  private readonly flags = new WeakMap<Client, SessionFlags>()
  private readonly writes: OrderedTableWrites

  private constructor(
    private readonly store: BrokerStore,
    table: ReturnType<BrokerStore['table']>,
    private readonly stored: Map<string, string>,
    private readonly log: Logger,
  ) {
    this.writes = new OrderedTableWrites(table, log, 'mqtt session owner not saved')
  }

  static async open(store: BrokerStore, log: Logger): Promise<SessionOwners> {
    const table = store.table('postbridge-session-owners')
    const stored = new Map<string, string>()
    for await (const [clientId, owner] of table.iterator()) stored.set(clientId, owner)
    const owners = new SessionOwners(store, table, stored, log)
    // A session ends with cleanSubscriptions (Clean Start, or an MQTT 5 session expiring or ending
    // with its connection): its client id is free again unless a connection holds it.
    store.onSessionEnded((clientId) => {
      if (!owners.live.has(clientId)) owners.forget(clientId)
    })
    return owners
  }

  /** aedes' preConnect: what the CONNECT asks of the session. */
  noteConnect(client: Client, packet: ConnectPacket): void {
    const expiry = packet.properties?.sessionExpiryInterval
    const persistent = packet.protocolVersion === 5 ? typeof expiry === 'number' && expiry > 0 : packet.clean === false
    this.flags.set(client, { cleanStart: packet.clean !== false, persistent })
    // on, not once: a connection closes once, and once() would wrap the listener in two more objects per connection.
    client.conn.on('close', () => this.release(client))
  }

  /**
   * After the credentials were checked: takes the client id for `owner`, or returns false when another
   * owner's session (live or stored) holds it. Synchronous, so two CONNECTs cannot both take one id.
   */
  claim(client: Client, owner: string): boolean {
    const id = client.id
    const live = this.live.get(id)
    if (live && live.owner !== owner) return false
    const stored = this.stored.get(id)
    if (stored !== undefined && stored !== owner) return false
    this.live.set(id, { client, owner })
    const flags = this.flags.get(client)
    if (flags?.persistent) this.remember(id, owner)
    else if (flags?.cleanStart) this.forget(id)
    return true
  }

  /** The user a stored session of this client id belongs to ('' for anonymous), if any. */
  storedOwner(clientId: string): string | undefined {
    return this.stored.get(clientId)
  }

  /** Ends the stored session of a client id whose owner is gone (a removed user): subscriptions, queue, owner. */
  async discard(clientId: string): Promise<void> {
    if (this.live.has(clientId)) return
    await this.store.cleanSubscriptions({ id: clientId })
    this.forget(clientId)
  }

  /** The connection is gone (aedes' clientDisconnect, or the socket closed before that). */
  release(client: Client): void {
    if (this.live.get(client.id)?.client === client) this.live.delete(client.id)
  }

  /** Resolves once the owner records asked for so far are written. */
  flush(): Promise<void> {
    return this.writes.flush()
  }

  private remember(clientId: string, owner: string): void {
    if (this.stored.get(clientId) === owner) return
    this.stored.set(clientId, owner)
    this.writes.put(clientId, owner)
  }

  private forget(clientId: string): void {
    if (!this.stored.delete(clientId)) return
    this.writes.del(clientId)
  }
}
