/**
 * The broker's durable state (sessions, subscriptions, QoS 1/2 queues, retained messages, wills) in
 * aedes-persistence-level over LevelDB at `${dataDir}/broker`, with these corrections:
 *
 * 1. MQTT 5 properties survive the offline queue. aedes-persistence-level 9.2.0 copies each queued
 *    message through its own aedes-packet 3.0.0 (`outgoingEnqueue: new Packet(packet)`), which knows
 *    nothing of `properties` or `messageExpiry`: a message queued for an offline MQTT 5 session lost
 *    its response topic, correlation data, user properties and content type, and never expired.
 *    We keep those two fields in a side table (`!postbridge-extras!` keys, v8-serialized so Buffers
 *    round-trip) and put them back when the queue is replayed.
 * 2. A queued message gets the subscription's QoS, not the publisher's: [MQTT-3.8.4-6] (3.1.1) /
 *    [MQTT-3.8.4-8] (5.0). aedes queues the message as published, so a QoS 1 subscriber received a
 *    QoS 2 message at QoS 2 when it came back.
 * 3. A queued message is not a retained message any more: [MQTT-3.3.1-9] the RETAIN flag is 0 on
 *    messages that match an established subscription, unless the v5 subscription asked for
 *    Retain As Published [MQTT-3.3.1-12].
 * 4. An ended session takes its queue with it. aedes ends a session (Clean Start, or an MQTT 5
 *    Session Expiry Interval running out) with cleanSubscriptions() and emptyOutgoingQueue(); the
 *    latter deletes queued messages by packet id, which a message never sent does not have yet, so
 *    they stayed and were delivered to the next session of that client id (sessionPresent 0).
 *    [MQTT-3.1.2-4] / [MQTT-4.1.0-2]: the session state is discarded. cleanSubscriptions() now
 *    also clears the client's whole queue and its half-received QoS 2 messages.
 * 5. Queue writes complete in the order they were asked for. aedes handles the packets of one read
 *    from a socket concurrently, and LevelDB runs writes on the libuv thread pool, which finishes
 *    them in any order. aedes emits a QoS 1/2 message once it is queued (outgoingEnqueueCombi) and
 *    writes it to a persistent subscriber once its packet id is stored (outgoingUpdate), so messages
 *    one client published back to back reached subscribers out of order, and aedes' duplicate check
 *    (a per-broker counter that only goes up) then dropped the ones that came late. [MQTT-4.6.0-6]:
 *    the server forwards a topic's messages in the order it received them. The writes still run
 *    concurrently; only their completions are put back in order. The same holds for retained
 *    messages: aedes emits one once storeRetained completed, so retained messages from one client
 *    reached in-process subscribers (webhooks, SSE) out of order too; and two writes of one topic's
 *    retained message could land in either order, leaving the older one stored. storeRetained now
 *    settles in call order, and a topic's next write starts once the previous one finished.
 *
 * 6. An `outgoing-id` value holds brokerId and brokerCounter, not a second copy of the message (outgoing-ids.ts).
 *
 * 7. Each session's queue is capped in messages and bytes (stored-queues.ts): outgoingEnqueueCombi stores a message
 *    only for the sessions it fits, before the publisher's PUBACK as before; the others drop it. A session that is
 *    connected still gets a message dropped from its queue live, as a clean session would: outgoingUpdate finds no
 *    queue entry for it (the read aedes makes for every delivery, no extra one), writes none, and lets it go out.
 *    The counts are read from the store at open, follow every enqueue, acknowledgement and ended session, and
 *    cost one Map lookup per queued delivery.
 *
 * 8. A client with nothing stored costs the store no read (clients-with-state.ts): the ids of the clients with a
 *    session (subscriptions, queue, packet ids, half-received QoS 2 messages) or a will are known in memory, read
 *    from the keys at open and marked before each write; for any other client, subscriptionsByClient,
 *    outgoingStream, cleanSubscriptions, getWill and delWill answer at once without touching LevelDB.
 *
 * 9. User properties named like members of Object.prototype survive a retained message or a Will being stored
 *    (stored-user-properties.ts).
 *
 * 10. Retained messages under `$SYS/` are kept in memory, never in LevelDB (sys-retained.ts), as mosquitto does: the
 *    broker statistics of this run, rebuilt at start. Every reader of retained messages (createRetainedStream,
 *    createRetainedStreamCombi, retainedMatching, eachRetained, countRetained) gets them as before, in the same
 *    order; storeRetained settles them in call order with the others (5.). Backups (rawEntries) leave them out. Those
 *    an earlier version stored in LevelDB are deleted at open, so no reader takes an earlier run's values for current.
 *
 * A PUBACK/PUBCOMP reads LevelDB only for a client that may have a stored packet id: only
 * outgoingUpdate writes `outgoing-id` keys, so the store knows the client ids that may have some
 * (those found at open, and those updated since). Clean sessions, the common case, never do; the
 * read of nothing was 14% of the broker's CPU at QoS 1.
 *
 * LevelDB writes are not fsync'ed: they survive the process being killed (the OS holds them), not a
 * power cut.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { deserialize, serialize } from 'node:v8'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import { ClientsWithState } from './clients-with-state.js'
import { OutgoingIds } from './outgoing-ids.js'
import { StoredQueues, storedSize } from './stored-queues.js'
import { isKeptInMemory, mergedByTopic, STORED_SYS_RANGE, SysRetained } from './sys-retained.js'
import { fromStored, readStored, toStored } from './stored-user-properties.js'

/** A message as aedes-persistence-level stores it (msgpack of an aedes packet). */
export interface StoredPacket extends Record<string, unknown> {
  topic: string
  payload?: Buffer
  qos?: number
  retain?: boolean
  brokerId?: string
  brokerCounter?: number
  properties?: Record<string, unknown>
  messageExpiry?: number
}

interface QueuedSubscription {
  clientId: string
  qos: number
  rap?: boolean
}

interface Extras {
  properties?: Record<string, unknown>
  messageExpiry?: number
}

type ExtrasTable = ReturnType<typeof openExtras>

function openExtras(db: Level<string, string>) {
  return db.sublevel<string, Buffer>('postbridge-extras', { valueEncoding: 'buffer' })
}

/** Every key starting with `prefix` (which ends in ':'; ';' is the next byte). */
function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix.slice(0, -1)};` }
}

/**
 * The client ids of the keys under `prefix`, read from the keys alone. Key layout of aedes-persistence-level 9.2.0:
 * `${prefix}${encodeURIComponent(clientId)}:...` (subscriptions, outgoing, outgoing-id, incoming), and
 * `will:${encodeURIComponent(clientId)}`.
 */
async function clientIdsUnder(
  db: Level<string, string>,
  prefix: 'subscriptions:' | 'outgoing:' | 'outgoing-id:' | 'incoming:' | 'will:',
): Promise<Set<string>> {
  const clientIds = new Set<string>()
  for await (const key of db.keys(prefixRange(prefix))) {
    const rest = key.slice(prefix.length)
    clientIds.add(decodeURIComponent(prefix === 'will:' ? rest : rest.slice(0, rest.indexOf(':'))))
  }
  return clientIds
}

function extrasKey(clientId: string, packet: { brokerId?: unknown; brokerCounter?: unknown }): string {
  return `${encodeURIComponent(clientId)}:${String(packet.brokerId)}:${String(packet.brokerCounter).padStart(16, '0')}`
}

/** The copy of `packet` that goes into one subscriber's queue. */
export function queuedFor(packet: StoredPacket, sub: QueuedSubscription): StoredPacket {
  const qos = Math.min(packet.qos ?? 0, sub.qos)
  const retain = sub.rap === true ? packet.retain === true : false
  if (qos === packet.qos && retain === packet.retain) return packet
  return { ...packet, qos, retain }
}

function noop(): void {}

/** What a store operation with nothing to do returns: one settled promise, shared, so that path allocates none. */
const NOTHING: Promise<undefined> = Promise.resolve(undefined)

/** Settles like `write` (or resolves when there is none), but not before `previous` has settled. */
function inOrder(previous: Promise<unknown> | undefined, write: Promise<unknown> | undefined): Promise<void> {
  const settled = write ?? Promise.resolve()
  // Handled: the caller gets the outcome below, once `previous` settled (no unhandled rejection meanwhile).
  settled.catch(noop)
  return (previous ?? Promise.resolve()).then(() => settled).then(noop)
}

/** The store operations that write; close() waits for those in progress. */
const WRITES = [
  'storeRetained',
  'addSubscriptions',
  'removeSubscriptions',
  'cleanSubscriptions',
  'outgoingEnqueue',
  'outgoingEnqueueCombi',
  'outgoingUpdate',
  'outgoingClearMessageId',
  'incomingStorePacket',
  'incomingDelPacket',
  'putWill',
  'delWill',
] as const

/** How long close() waits for writes in progress. */
const CLOSE_FLUSH_MS = 5000

/** What aedes-persistence-level 9.2.0's outgoingUpdate throws when the message has no queue entry. */
function isNoSuchPacket(err: unknown): boolean {
  return err instanceof Error && err.message === 'no such packet'
}

/** The outcome of an outgoingUpdate for a session that had messages dropped: see 7. above. */
function liveIfDropped(err: unknown): void {
  if (!isNoSuchPacket(err)) throw err
}

export class BrokerStore extends AsyncLevelPersistence {
  private writing = 0
  private flushed: (() => void)[] = []
  /** The last enqueue to complete, and how many have not; per client id the last outgoingUpdate: see 5. above. */
  private lastEnqueue: Promise<unknown> = Promise.resolve()
  private enqueuesPending = 0
  /** The last storeRetained to complete, and per topic the write in progress: see 5. above. */
  private lastRetained: Promise<unknown> = Promise.resolve()
  private readonly retainedWrites = new Map<string, Promise<unknown>>()
  private readonly lastUpdate = new Map<string, Promise<unknown>>()
  /** See 6. above. */
  private readonly ids: OutgoingIds
  /** See 7. above. */
  readonly queues = new StoredQueues()
  private readonly sessionEndedListeners: ((clientId: string) => void)[] = []
  /** See 10. above. */
  private readonly sysRetained = new SysRetained()

  constructor(
    private readonly db: Level<string, string>,
    private readonly extras: ExtrasTable,
    /** Client ids that may have `outgoing-id` keys: see the header. */
    private readonly withIds: Set<string> = new Set(),
    /** See 8. above: the clients with a session stored, and those with a will stored. */
    private readonly sessions = new ClientsWithState(),
    private readonly wills = new ClientsWithState(),
  ) {
    super(db)
    this.ids = new OutgoingIds(db)
    // aedes keeps writing after its close() called back (e.g. deleting the will it just published
    // for each client it disconnected); count those so close() does not pull the db from under them.
    const self = this as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    for (const name of WRITES) {
      const write = self[name]!.bind(this)
      self[name] = (...args) => {
        const written = write(...args)
        return written === NOTHING ? written : this.track(written)
      }
    }
  }

  /**
   * Every key and value as stored, read from one LevelDB snapshot taken when this is called (later writes are not
   * seen): the broker's part of a backup.
   */
  rawEntries(): AsyncIterable<[Uint8Array, Uint8Array]> {
    return this.db.iterator<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' })
  }

  /** Counts `write` as in progress until it settles; returns it as it is (its outcome stays the caller's). */
  private track<T>(write: Promise<T>): Promise<T> {
    this.writing++
    const settled = () => {
      if (--this.writing === 0) for (const resolve of this.flushed.splice(0)) resolve()
    }
    write.then(settled, settled)
    return write
  }

  /** How many clients the store holds a session or a will for, as far as it knows in memory (see 8.). */
  get clientsWithState(): number {
    return this.sessions.size + this.wills.size
  }

  override addSubscriptions(client: { id: string }, subs: { topic: string; qos: number }[]): Promise<void> {
    this.sessions.add(client.id)
    return super.addSubscriptions(client, subs)
  }

  override subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]> {
    return this.sessions.has(client.id) ? super.subscriptionsByClient(client) : Promise.resolve([])
  }

  override incomingStorePacket(client: { id: string }, packet: StoredPacket & { messageId?: number }): Promise<void> {
    this.sessions.add(client.id)
    return super.incomingStorePacket(client, packet)
  }

  override putWill(client: { id: string }, packet: StoredPacket): Promise<void> {
    this.wills.add(client.id)
    return super.putWill(client, toStored(packet))
  }

  override getWill(client: { id: string }): Promise<StoredPacket | undefined> {
    return this.wills.has(client.id) ? super.getWill(client).then((will) => fromStored(will)) : NOTHING
  }

  /** Not in aedes-persistence-level's types; aedes reads the Wills of brokers gone away with it. */
  streamWill(brokers: unknown): Readable {
    return readStored((AsyncLevelPersistence.prototype as unknown as { streamWill(b: unknown): Readable }).streamWill.call(this, brokers))
  }

  override delWill(client: { id: string }): Promise<StoredPacket | undefined> {
    if (!this.wills.has(client.id)) return NOTHING
    const mark = this.wills.markOf(client.id)
    return super.delWill(client).then((will) => {
      this.wills.cleared(client.id, mark)
      return fromStored(will)
    })
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    this.sessions.add(sub.clientId)
    this.queues.added(sub.clientId, storedSize(packet))
    if (packet.properties !== undefined || packet.messageExpiry !== undefined) {
      const extras: Extras = { properties: packet.properties, messageExpiry: packet.messageExpiry }
      await this.extras.put(extrasKey(sub.clientId, packet), serialize(extras))
    }
    await super.outgoingEnqueue(sub, packet)
  }

  override createRetainedStream(pattern: string): Readable {
    const kept = this.sysRetained.matching(pattern)
    if (kept.length === 0) return readStored(super.createRetainedStream(pattern))
    return mergedByTopic([{ stored: readStored(super.createRetainedStream(pattern)), kept }])
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    const kept = patterns.map((pattern) => this.sysRetained.matching(pattern))
    if (kept.every((k) => k.length === 0)) return readStored(super.createRetainedStreamCombi(patterns))
    return mergedByTopic(patterns.map((pattern, i) => ({ stored: readStored(super.createRetainedStream(pattern)), kept: kept[i]! })))
  }

  override storeRetained(aedesPacket: StoredPacket): Promise<void> {
    if (isKeptInMemory(aedesPacket.topic)) {
      // In place at once, so a topic's writes land in call order (5.); settled after the writes asked for before it.
      this.sysRetained.store(aedesPacket)
      const done = inOrder(this.lastRetained, undefined)
      this.lastRetained = done
      return done
    }
    const packet = toStored(aedesPacket)
    const previousWrite = this.retainedWrites.get(packet.topic)
    const write = previousWrite ? previousWrite.then(() => super.storeRetained(packet)) : super.storeRetained(packet)
    const written = write.catch(noop)
    this.retainedWrites.set(packet.topic, written)
    void written.then(() => {
      if (this.retainedWrites.get(packet.topic) === written) this.retainedWrites.delete(packet.topic)
    })
    const done = inOrder(this.lastRetained, write)
    this.lastRetained = done.catch(noop)
    return done
  }

  override outgoingEnqueueCombi(subs: QueuedSubscription[] | undefined, packet: StoredPacket): Promise<void> {
    const hasWrites = subs !== undefined && subs.length > 0
    // Nothing to write and nothing before it still writing: already in order (the common case, a message
    // with no persistent subscriber, at QoS 1 on the busiest path).
    if (!hasWrites && this.enqueuesPending === 0) return NOTHING
    const writes = hasWrites ? this.enqueueWhereItFits(subs, packet) : undefined
    const done = inOrder(this.lastEnqueue, writes)
    this.enqueuesPending++
    const settled = () => this.enqueuesPending--
    done.then(settled, settled)
    this.lastEnqueue = done.catch(noop)
    return done
  }

  /** Stores `packet` for each subscriber whose queue it fits (see 7.); undefined when it fits none. */
  private enqueueWhereItFits(subs: QueuedSubscription[], packet: StoredPacket): Promise<unknown> | undefined {
    const size = storedSize(packet)
    const writes: Promise<void>[] = []
    for (const sub of subs) {
      if (this.queues.admits(sub.clientId, size)) writes.push(this.outgoingEnqueue(sub, queuedFor(packet, sub)))
    }
    return writes.length > 0 ? Promise.all(writes) : undefined
  }

  override outgoingUpdate(client: { id: string }, packet: StoredPacket): Promise<void> {
    this.sessions.add(client.id)
    this.withIds.add(client.id)
    const update = this.ids.update(client.id, packet, () => super.outgoingUpdate(client, packet))
    // A message dropped from this client's queue has no entry to update (7.): it goes out live, unstored, where
    // aedes would take the failed update for an error of the client's and close it. Only for a session that had
    // messages dropped, so that this costs nothing on the others' deliveries.
    const written = this.queues.hasDropped(client.id) ? update.catch(liveIfDropped) : update
    const done = inOrder(this.lastUpdate.get(client.id), written)
    const last = done.catch(noop)
    this.lastUpdate.set(client.id, last)
    void last.then(() => {
      if (this.lastUpdate.get(client.id) === last) this.lastUpdate.delete(client.id)
    })
    return done
  }

  override outgoingStream(client: { id: string }): Readable {
    return this.sessions.has(client.id) ? Readable.from(this.withExtras(client.id, super.outgoingStream(client))) : Readable.from([])
  }

  override outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<StoredPacket | undefined> {
    return this.withIds.has(client.id) ? this.clearMessageId(client, packet) : NOTHING
  }

  private async clearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<StoredPacket | undefined> {
    const cleared = (await super.outgoingClearMessageId(client, packet)) as StoredPacket | undefined
    // A value with no topic is an `outgoing-id` whose queue entry was gone already (outgoing-ids.ts): nothing left the queue.
    if (cleared?.topic !== undefined) this.queues.removed(client.id, storedSize(cleared))
    if (cleared) await this.extras.del(extrasKey(client.id, cleared))
    return cleared
  }

  override async cleanSubscriptions(client: { id: string }): Promise<void> {
    if (this.sessions.has(client.id)) {
      const mark = this.sessions.markOf(client.id)
      await super.cleanSubscriptions(client)
      const id = encodeURIComponent(client.id)
      this.queues.cleared(client.id)
      // Key layout of aedes-persistence-level 9.2.0 (outgoingByClientKey / outgoingByIdKey).
      await this.db.clear(prefixRange(`outgoing:${id}:`))
      await this.db.clear(prefixRange(`outgoing-id:${id}:`))
      await this.extras.clear(prefixRange(`${id}:`))
      await this.cleanIncoming(client)
      this.sessions.cleared(client.id, mark)
    } else {
      // Nothing stored, but a message too large for any queue may have been dropped for it (7.).
      this.queues.cleared(client.id)
    }
    if (!this.lastUpdate.has(client.id)) this.withIds.delete(client.id)
    for (const listener of this.sessionEndedListeners) listener(client.id)
  }

  /**
   * Calls `listener` with the client id once a session's state is discarded (Clean Start, an expired or removed
   * session), after the store has let go of it: records kept beside a session go with it.
   */
  onSessionEnded(listener: (clientId: string) => void): void {
    this.sessionEndedListeners.push(listener)
  }

  /** Counts what each session's queue holds (see 7.), once at open: reads every queued message of `clientIds`. */
  async countQueues(clientIds: Iterable<string>): Promise<void> {
    for (const clientId of clientIds) {
      for await (const packet of super.outgoingStream({ id: clientId })) this.queues.added(clientId, storedSize(packet as StoredPacket))
    }
  }

  /** A table of Postbridge's own in the broker's LevelDB, apart from aedes' keys (e.g. session owners). */
  table(name: string) {
    return this.db.sublevel<string, string>(name, { valueEncoding: 'utf8' })
  }

  /** The client ids of the stored sessions (those with a subscription), read from the keys alone. */
  storedSessionIds(): Promise<Set<string>> {
    return clientIdsUnder(this.db, 'subscriptions:')
  }

  /** Every stored subscription (client id, topic filter, QoS), for indexes built once at start. */
  async *storedSubscriptions(): AsyncGenerator<{ clientId: string; topic: string; qos: number }> {
    for (const clientId of await this.storedSessionIds()) {
      for (const sub of await this.subscriptionsByClient({ id: clientId })) yield { clientId, topic: sub.topic, qos: sub.qos }
    }
  }

  /** How many retained messages are stored, read from the keys alone (no payload is loaded). */
  async countRetained(): Promise<number> {
    let count = 0
    // Key layout of aedes-persistence-level 9.2.0: `retained:<topic>`.
    for await (const _key of this.db.keys(prefixRange('retained:'))) count++
    return count + this.sysRetained.size
  }

  /** Retained messages whose topic the filter matches (the store's own matcher; callers apply the `$` rule). */
  async retainedMatching(topicFilter: string): Promise<StoredPacket[]> {
    const found: StoredPacket[] = []
    for await (const packet of this.createRetainedStream(topicFilter)) found.push(packet as StoredPacket)
    return found
  }

  /** The same, one packet at a time: nothing is kept but what the callback keeps. */
  async eachRetained(topicFilter: string, onPacket: (packet: StoredPacket) => void): Promise<void> {
    for await (const packet of this.createRetainedStream(topicFilter)) onPacket(packet as StoredPacket)
  }

  /** Waits for writes in progress (up to 5 s), then closes LevelDB; aedes' close() leaves it open. */
  async close(): Promise<void> {
    if (this.writing > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_FLUSH_MS)
        this.flushed.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    if (this.db.status === 'open' || this.db.status === 'opening') await this.db.close()
  }

  private async *withExtras(clientId: string, stored: Readable): AsyncGenerator<StoredPacket> {
    for await (const item of stored) {
      const packet = item as StoredPacket
      if (packet.properties === undefined && packet.messageExpiry === undefined) {
        const blob = await this.extras.get(extrasKey(clientId, packet))
        if (blob !== undefined) Object.assign(packet, deserialize(blob) as Extras)
      }
      yield packet
    }
  }
}

/** Opens (creating if needed) the broker's LevelDB under `${dataDir}/broker`. Fails clearly when another process holds it. */
export async function openBrokerStore(dataDir: string): Promise<BrokerStore> {
  const location = join(dataDir, 'broker')
  await mkdir(location, { recursive: true })
  const db = new Level<string, string>(location)
  try {
    await db.open()
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
    throw new Error(`cannot open the broker store at ${location}${cause}`, { cause: err })
  }
  // See 10. above: those of an earlier version, which stored them.
  await db.clear(STORED_SYS_RANGE)
  const withIds = await clientIdsUnder(db, 'outgoing-id:')
  const queued = await clientIdsUnder(db, 'outgoing:')
  const sessions = new ClientsWithState([...withIds, ...queued])
  for (const prefix of ['subscriptions:', 'incoming:'] as const) {
    for (const clientId of await clientIdsUnder(db, prefix)) sessions.add(clientId)
  }
  const store = new BrokerStore(db, openExtras(db), withIds, sessions, new ClientsWithState(await clientIdsUnder(db, 'will:')))
  await store.countQueues(queued)
  return store
}
