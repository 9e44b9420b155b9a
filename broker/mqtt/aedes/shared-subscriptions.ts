/**
 * Shared subscriptions, `$share/{group}/{filter}`, for MQTT 5 and 3.1.1.
 *
 * aedes 2.0.0-beta.1 refuses them from MQTT 5 clients (SUBACK 0x9E) and advertises them as
 * unavailable; from 3.1.1 clients it subscribes to the literal filter `$share/...`, which no topic
 * matches, so the subscriber gets nothing. MQTT 5 §4.8.2: each message matching the filter goes to
 * one session of the group, at no more than that member's granted QoS [MQTT-4.8.2-3]; a member
 * offline with a persistent session can be chosen, and gets the message when it reconnects
 * [MQTT-4.8.2-4].
 *
 * How it fits in aedes:
 * - SUBSCRIBE and UNSUBSCRIBE are rewritten before aedes reads them: `$share/g/f` becomes
 *   `$postbridge-share/g/f`, which aedes treats as an ordinary filter (stored with the session,
 *   restored on resume, removed on UNSUBSCRIBE) and which no topic name matches (clients may not
 *   publish to `$` topics). The ACL is checked on the inner filter `f`.
 * - aedes registers each subscription with `broker.subscribe(filter, deliver)`; for a shared filter
 *   the deliver function joins the group instead of the emitter. The group has one emitter listener
 *   on `f` that hands each message to the next member online, round robin. A member that
 *   unsubscribes or disconnects leaves the group and gets nothing more.
 * - A QoS 1/2 message is queued (outgoingEnqueueCombi) for the member chosen for it when that member
 *   has a persistent session, as aedes does for any subscriber with one; the emitter listener then
 *   delivers it to the same member. When no member is online, one member with a persistent session
 *   is chosen round robin and the message waits in its queue.
 *
 * Limits: retained messages are not sent on a shared subscription (§4.8.2: "retained messages are
 * not sent to the Session when it first subscribes"); one broker process only; a message a member
 * refuses (PUBACK 0x80 or above) is not offered to another member [MQTT-4.8.2-6].
 */
import type { EventEmitter } from 'node:events'
import type { Aedes } from 'aedes'
import { matchTopic } from '../../../src/topic/match.js'
import type { AedesInternals, BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'

const SHARE = '$share/'
/** The filter aedes and the store see for a shared subscription. */
const STORED = '$postbridge-share/'
/** Choices made at enqueue time and not yet used by the emitter listener (a bound on memory). */
const MAX_PENDING_CHOICES = 10_000

export interface Share {
  group: string
  filter: string
}

function split(topic: string, prefix: string): Share | undefined {
  if (!topic.startsWith(prefix)) return undefined
  const rest = topic.slice(prefix.length)
  const slash = rest.indexOf('/')
  if (slash <= 0) return undefined
  const group = rest.slice(0, slash)
  const filter = rest.slice(slash + 1)
  // [MQTT-4.8.2-1] [MQTT-4.8.2-2]: a non-empty share name without wildcards, then a topic filter.
  if (filter.length === 0 || group.includes('+') || group.includes('#')) return undefined
  return { group, filter }
}

/** `$share/{group}/{filter}` as sent by a client. */
export function parseShare(topicFilter: string): Share | undefined {
  return split(topicFilter, SHARE)
}

/** The stored form of a shared subscription, or undefined for any other filter. */
export function storedShare(topicFilter: string): Share | undefined {
  return split(topicFilter, STORED)
}

function storedKey(share: Share): string {
  return `${STORED}${share.group}/${share.filter}`
}

interface Member {
  client: ClientInternals
  deliver: DeliverFn
  qos: number
}

interface Group {
  share: Share
  online: Member[]
  next: number
  listener?: DeliverFn
}

interface StoredSub {
  topic: string
  qos: number
}

interface QueueEntry extends StoredSub {
  clientId: string
}

/** A message as the store queues it. */
interface QueuedPacket {
  topic: string
  brokerId?: string
  brokerCounter?: number
}

/** The store methods shared subscriptions hook into. */
export interface ShareStore {
  addSubscriptions(client: { id: string }, subs: StoredSub[]): Promise<void>
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>
  outgoingEnqueueCombi(subs: QueueEntry[] | undefined, packet: QueuedPacket): Promise<unknown>
  /** Every stored subscription, to know the persistent members of each group at start. */
  storedSubscriptions(): AsyncIterable<{ clientId: string; topic: string; qos: number }>
}

function packetKey(packet: QueuedPacket): string {
  return `${packet.brokerId}:${packet.brokerCounter}`
}

/** A SUBSCRIBE's or UNSUBSCRIBE's shared filters, rewritten to their stored keys before aedes reads them. */
function storeShareFilters(packet: { cmd: string; subscriptions?: { topic: string }[]; unsubscriptions?: string[] }): void {
  if (packet.cmd === 'subscribe' && packet.subscriptions) {
    for (const sub of packet.subscriptions) {
      const share = parseShare(sub.topic)
      if (share) sub.topic = storedKey(share)
    }
  } else if (packet.cmd === 'unsubscribe' && packet.unsubscriptions) {
    packet.unsubscriptions = packet.unsubscriptions.map((t) => {
      const share = parseShare(t)
      return share ? storedKey(share) : t
    })
  }
}

export class SharedSubscriptions {
  /** Groups by stored filter, with their members online. */
  private readonly groups = new Map<string, Group>()
  /** Members with a persistent session, online or not, by stored filter: client id -> granted QoS. */
  private readonly persistent = new Map<string, Map<string, number>>()
  private readonly offlineNext = new Map<string, number>()
  /** Connections that may own a deliver function aedes registers. */
  private readonly clients = new Set<ClientInternals>()
  /** Per message, per group: the member chosen when it was queued (null: queued for an offline one). */
  private readonly choices = new Map<string, Map<string, Member | null>>()
  private readonly loaded: Promise<void>
  private isLoaded = false

  constructor(
    private readonly aedes: Aedes,
    store: ShareStore,
  ) {
    // A store that cannot be read fails aedes' own start; here the index just starts empty.
    this.loaded = this.load(store)
      .catch(() => undefined)
      .then(() => {
        this.isLoaded = true
      })
    this.hookStore(store)
    this.hookBroker()
  }

  /** aedes' preConnect hook: rewrite shared filters before aedes reads SUBSCRIBE / UNSUBSCRIBE. */
  connect(client: ClientInternals): void {
    this.clients.add(client)
    // on, not once: a connection closes once, and once() would wrap the listener in two more objects per connection.
    client.conn.on('close', () => this.clients.delete(client))
    const parser = (client as unknown as { _parser: EventEmitter })._parser
    parser.prependListener('packet', storeShareFilters)
  }

  private async load(store: ShareStore): Promise<void> {
    for await (const sub of store.storedSubscriptions()) {
      if (storedShare(sub.topic)) this.remember(sub.topic, sub.clientId, sub.qos)
    }
  }

  private remember(key: string, clientId: string, qos: number): void {
    const members = this.persistent.get(key) ?? new Map<string, number>()
    this.persistent.set(key, members)
    members.set(clientId, qos)
  }

  private forget(key: string, clientId: string): void {
    const members = this.persistent.get(key)
    members?.delete(clientId)
    if (members?.size === 0) this.persistent.delete(key)
  }

  private hookStore(store: ShareStore): void {
    const add = store.addSubscriptions.bind(store)
    const remove = store.removeSubscriptions.bind(store)
    const enqueue = store.outgoingEnqueueCombi.bind(store)
    store.addSubscriptions = async (client, subs) => {
      await add(client, subs)
      for (const sub of subs) if (storedShare(sub.topic)) this.remember(sub.topic, client.id, sub.qos)
    }
    // Also how a session ends: the store's cleanSubscriptions removes each of its subscriptions through this.
    store.removeSubscriptions = async (client, topics) => {
      await remove(client, topics)
      for (const topic of topics) if (storedShare(topic)) this.forget(topic, client.id)
    }
    const enqueueWithGroups = (subs: QueueEntry[] | undefined, packet: QueuedPacket) => {
      const extra = this.chooseForQueue(packet)
      return enqueue(extra.length > 0 ? [...(subs ?? []), ...extra] : subs, packet)
    }
    store.outgoingEnqueueCombi = (subs, packet) => {
      // Once the index is loaded, without waiting a turn of promises: this is on every QoS 1/2 message.
      if (this.isLoaded) {
        try {
          return enqueueWithGroups(subs, packet)
        } catch (err) {
          return Promise.reject(err)
        }
      }
      return this.loaded.then(() => enqueueWithGroups(subs, packet))
    }
  }

  private hookBroker(): void {
    const broker = this.aedes as unknown as {
      subscribe(topic: string, deliver: DeliverFn, done?: () => void): void
      unsubscribe(topic: string, deliver: DeliverFn, done?: () => void): void
      authorizeSubscribe: NonNullable<Aedes['authorizeSubscribe']>
    }
    const subscribe = broker.subscribe.bind(broker)
    const unsubscribe = broker.unsubscribe.bind(broker)
    broker.subscribe = (topic, deliver, done) => {
      if (!storedShare(topic)) return subscribe(topic, deliver, done)
      this.join(topic, deliver)
      if (done) setImmediate(done)
    }
    broker.unsubscribe = (topic, deliver, done) => {
      if (!storedShare(topic)) return unsubscribe(topic, deliver, done)
      this.leave(topic, deliver)
      if (done) setImmediate(done)
    }
    // The ACL applies to the filter inside `$share/{group}/`.
    const authorize = broker.authorizeSubscribe
    broker.authorizeSubscribe = (client, sub, callback) => {
      const share = storedShare(sub.topic)
      if (!share) return authorize.call(this.aedes, client, sub, callback)
      authorize.call(this.aedes, client, { ...sub, topic: share.filter }, (err, granted) => {
        callback(err, granted ? { ...granted, topic: sub.topic } : granted)
      })
    }
  }

  private ownerOf(topic: string, deliver: DeliverFn): ClientInternals | undefined {
    for (const client of this.clients) {
      const sub = client.subscriptions[topic] as { qos: number; func?: DeliverFn } | undefined
      if (sub?.func === deliver) return client
    }
    return undefined
  }

  private join(key: string, deliver: DeliverFn): void {
    const client = this.ownerOf(key, deliver)
    if (!client) return
    const share = storedShare(key)!
    const group: Group = this.groups.get(key) ?? { share, online: [], next: 0 }
    this.groups.set(key, group)
    group.online = group.online.filter((m) => m.client !== client) // a changed subscription replaces the old one
    group.online.push({ client, deliver, qos: client.subscriptions[key]?.qos ?? 0 })
    if (!group.listener) {
      const g = group
      g.listener = (packet, done) => this.dispatch(key, g, packet, done)
      ;(this.aedes as unknown as AedesInternals).mq.on(share.filter, g.listener)
    }
  }

  private leave(key: string, deliver: DeliverFn): void {
    const group = this.groups.get(key)
    if (!group) return
    group.online = group.online.filter((m) => m.deliver !== deliver)
    if (group.online.length > 0) return
    if (group.listener) (this.aedes as unknown as AedesInternals).mq.removeListener(group.share.filter, group.listener)
    this.groups.delete(key)
  }

  private nextOnline(group: Group): Member | undefined {
    if (group.online.length === 0) return undefined
    const member = group.online[group.next % group.online.length]!
    group.next = (group.next + 1) % group.online.length
    return member
  }

  private matches(share: Share, topic: string): boolean {
    return matchTopic(share.filter, topic)
  }

  /** Queue entries for the shared groups a QoS 1/2 message matches; remembers who was chosen. */
  private chooseForQueue(packet: QueuedPacket): QueueEntry[] {
    const extra: QueueEntry[] = []
    if (this.groups.size === 0 && this.persistent.size === 0) return extra
    const keys = new Set([...this.groups.keys(), ...this.persistent.keys()])
    let chosen: Map<string, Member | null> | undefined
    for (const key of keys) {
      const share = storedShare(key)!
      if (!this.matches(share, packet.topic)) continue
      const stored = this.persistent.get(key)
      const group = this.groups.get(key)
      const member = group && this.nextOnline(group)
      chosen ??= new Map()
      if (member) {
        chosen.set(key, member)
        const qos = stored?.get(member.client.id)
        if (qos !== undefined && qos > 0) extra.push({ clientId: member.client.id, topic: key, qos })
        continue
      }
      // Nobody online: one member with a persistent session keeps it, as a subscriber of its own would.
      const offline = [...(stored ?? [])].filter(([, qos]) => qos > 0)
      if (offline.length === 0) continue
      const turn = (this.offlineNext.get(key) ?? 0) % offline.length
      this.offlineNext.set(key, turn + 1)
      const [clientId, qos] = offline[turn]!
      extra.push({ clientId, topic: key, qos })
      chosen.set(key, null)
    }
    if (chosen) {
      this.choices.set(packetKey(packet), chosen)
      if (this.choices.size > MAX_PENDING_CHOICES) this.choices.delete(this.choices.keys().next().value!)
    }
    return extra
  }

  private dispatch(key: string, group: Group, packet: BrokerPacket, done: () => void): void {
    // [MQTT-4.7.2-1] a filter starting with a wildcard does not match `$` topics.
    if (packet.topic.startsWith('$') && /^[+#]/.test(group.share.filter)) {
      done()
      return
    }
    const pk = packetKey(packet)
    const perPacket = this.choices.get(pk)
    let member: Member | undefined
    if (perPacket?.has(key)) {
      const pre = perPacket.get(key)
      perPacket.delete(key)
      if (perPacket.size === 0) this.choices.delete(pk)
      if (pre === null) {
        done() // waits in an offline member's queue
        return
      }
      if (pre && group.online.includes(pre)) member = pre
      else if (pre && pre.client.clean === false) {
        done() // gone since: the message is in its queue
        return
      }
    }
    member ??= this.nextOnline(group)
    if (!member) {
      done()
      return
    }
    // The member's granted QoS caps the delivered QoS [MQTT-3.8.4-8]; other subscriptions of the
    // client do not raise it.
    const out =
      packet.qos > member.qos
        ? Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as BrokerPacket, packet, { qos: member.qos })
        : packet
    member.deliver(out, done)
  }
}
