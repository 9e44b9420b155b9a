/**
 * The home end of the link: an MQTT 5 client (mqtt.js over WebSocket) that dials the edge Worker at /v1/link.
 * Home messages matching `edge.up` go up; what was published at the edge comes down and is republished into the home
 * broker, and only then acknowledged, so the edge forgets a message only once the home broker has it.
 */
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import mqtt, { type IClientOptions, type IClientPublishOptions, type IStore, type MqttClient } from 'mqtt'
import { RESPONSE_TOPIC_PREFIX } from '../../src/response-topic.js'
import { LINK_BACKOFF, reconnectDelayMs, type BackoffPolicy } from '../../src/link/backoff.js'
import { fromLinkPublish, toLinkPublish } from '../../src/link/packet.js'
import { LINK_DOWN_FILTER, LINK_SYNC_PROPERTY, LINK_USERNAME, linkUrl } from '../../src/link/protocol.js'
import { newStableId, stableIdOf, withStableId } from '../../src/message-id.js'
import type { Message } from '../../src/ports/types.js'
import type { Bus, Unsubscribe } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import { coalescingWebSocket } from './coalescing-socket.js'
import type { UpOutbox } from './up-outbox.js'

export interface EdgeLinkOptions {
  /** The Worker's base URL (edge.url). */
  url: string
  /** POSTBRIDGE_EDGE_SECRET: sent as the CONNECT password, never logged. */
  secret: string
  /** Topic filters of what goes up (edge.up). */
  up: string[]
  bus: Bus
  log: Logger
  backoff?: BackoffPolicy
  /** How long one connection attempt may take before it counts as failed. */
  connectTimeoutMs?: number
  /** The link's MQTT keep-alive (edge.keepalive); default 30 s. */
  keepaliveMs?: number
  /** Where messages wait for the edge's acknowledgement (SQLite in the data directory). */
  outbox: UpOutbox
}

export type EdgeLinkState = 'connecting' | 'online' | 'offline' | 'refused'

export interface EdgeLinkStatus {
  state: EdgeLinkState
  url: string
  /** When the link reached its current state. */
  since: string
  /** Failed attempts since the link was last online. */
  attempts: number
  /** When the link was last online (or home started), while it is not. */
  downSince?: string
  nextAttemptInMs?: number
  lastError?: string
  /** Messages up that the edge acknowledged. */
  messagesUp: number
  messagesDown: number
  /** Messages up waiting in the outbox for the edge's acknowledgement. */
  upQueued: number
  /** Messages up the outbox's bound dropped (the oldest go first). */
  upDroppedOffline: number
}

export interface EdgeLink {
  status(): EdgeLinkStatus
  /** Resolves once connected (for tests and start-up logs); rejects after `timeoutMs`. */
  waitOnline(timeoutMs: number): Promise<void>
  close(): Promise<void>
}

/** MQTT 5 reason codes of a CONNACK refusing us [MQTT-3.2.2.2]: bad credentials or not authorized. */
const REFUSED_CODES = new Set([0x86, 0x87, 4, 5])
/** PUBACK reason code for "the home broker did not take it" [MQTT-3.4.2.1]. */
const UNSPECIFIED_ERROR = 0x80
/** Messages sent up and not yet acknowledged, at most. */
export const UP_WINDOW = 64

/**
 * mqtt.js's outgoing store, minus its resend on reconnect: the outbox resends what the edge did not acknowledge,
 * in order, so mqtt.js must not send a second copy. Packets of a closed connection are forgotten at the next connect.
 */
function connectionOnlyStore(): IStore {
  const inflight = new Map<number, unknown>()
  const store = {
    put(packet: { messageId?: number }, cb?: () => void) {
      inflight.set(packet.messageId ?? 0, packet)
      cb?.()
      return store
    },
    createStream() {
      inflight.clear()
      return Readable.from([])
    },
    del(packet: { messageId?: number }, cb: (err?: Error | null, packet?: unknown) => void) {
      const found = inflight.get(packet.messageId ?? 0)
      inflight.delete(packet.messageId ?? 0)
      if (found) cb(null, found)
      else cb(new Error('missing packet'))
      return store
    },
    get(packet: { messageId?: number }, cb: (err?: Error | null, packet?: unknown) => void) {
      const found = inflight.get(packet.messageId ?? 0)
      if (found) cb(null, found)
      else cb(new Error('missing packet'))
      return store
    },
    close(cb?: () => void) {
      inflight.clear()
      cb?.()
    },
  }
  return store as unknown as IStore
}

export async function startEdgeLink(options: EdgeLinkOptions): Promise<EdgeLink> {
  const { bus, log, secret, outbox } = options
  const policy = options.backoff ?? LINK_BACKOFF
  const url = linkUrl(options.url)
  let state: EdgeLinkState = 'connecting'
  let since = Date.now()
  let downSince = since
  let attempts = 0
  let lastError: string | undefined
  let nextAttemptAt: number | undefined
  let retry: NodeJS.Timeout | undefined
  let closing = false
  let syncing = false
  const heldDuringSync: Message[] = []
  const counts = { up: 0, down: 0 }
  // The outbox's send cursor: the highest seq sent on this connection, and how many of those wait for their PUBACK.
  let cursor = 0
  let inflight = 0
  // A new number per connection: an acknowledgement callback of an older connection changes nothing.
  let generation = 0
  const onlineWaiters = new Set<() => void>()

  const setState = (next: EdgeLinkState) => {
    if (next !== state) since = Date.now()
    if (state === 'online' && next !== 'online') downSince = since
    state = next
    if (next === 'online') for (const w of [...onlineWaiters]) w()
  }

  const clientOptions: IClientOptions = {
    protocolVersion: 5,
    username: LINK_USERNAME,
    password: secret,
    // A fresh id per process: the edge takes the newest link over an old one it has not noticed dying.
    clientId: `postbridge-home-${randomBytes(4).toString('hex')}`,
    clean: true,
    // A silent link (a half-open TCP connection) is noticed within 1.5 times this, on both ends [MQTT-3.1.2-22].
    keepalive: Math.max(1, Math.round((options.keepaliveMs ?? 30_000) / 1000)),
    connectTimeout: options.connectTimeoutMs ?? 15_000,
    // Packets sent close together share a WebSocket frame: one Durable Object event for a batch of PUBACKs.
    createWebsocket: (wsUrl: string, protocols: string[], opts?: { wsOptions?: object }) => coalescingWebSocket(wsUrl, protocols, opts?.wsOptions),
    // Reconnects are ours, with backoff and jitter; mqtt.js would retry at a fixed period.
    reconnectPeriod: 0,
    resubscribe: false,
    // Messages wait in the outbox while offline, not in mqtt.js's memory.
    queueQoSZero: false,
    outgoingStore: connectionOnlyStore(),
    customHandleAcks: (_topic, _payload, packet, done) => {
      const message = fromLinkPublish({ ...packet, payload: packet.payload as Uint8Array })
      bus.publish(message).then(
        () => {
          counts.down++
          done(0)
        },
        (err: unknown) => {
          log.warn({ err: String(err), topic: message.topic }, 'edge link: the home broker refused a message from the edge')
          done(UNSPECIFIED_ERROR)
        },
      )
    },
  }
  const client: MqttClient = mqtt.connect(url, clientOptions)

  const scheduleReconnect = () => {
    if (closing || retry) return
    const delay = reconnectDelayMs(attempts, policy)
    attempts++
    nextAttemptAt = Date.now() + delay
    retry = setTimeout(() => {
      retry = undefined
      nextAttemptAt = undefined
      if (closing) return
      setState(state === 'refused' ? 'refused' : 'connecting')
      client.reconnect()
    }, delay)
    retry.unref?.()
  }

  client.on('connect', () => {
    attempts = 0
    lastError = undefined
    generation++
    cursor = 0
    inflight = 0
    setState('online')
    log.info({ url }, 'edge link: online')
    client.subscribe(LINK_DOWN_FILTER, { qos: 1 }, (err) => {
      if (err) log.warn({ err: err.message }, 'edge link: subscribe at the edge failed')
    })
    void syncRetained()
  })
  client.on('error', (err: Error & { code?: number }) => {
    lastError = err.message
    if (typeof err.code === 'number' && REFUSED_CODES.has(err.code)) {
      setState('refused')
      log.error({ url, reasonCode: err.code }, 'edge link: refused by the edge, check POSTBRIDGE_EDGE_SECRET (the same value as the Worker secret)')
    } else {
      log.warn({ url, err: err.message }, 'edge link: error')
    }
  })
  client.on('close', () => {
    generation++
    // What waited for a PUBACK on that connection is in the outbox and goes again; mqtt.js would keep it pending
    // forever (a clean session is not resumed), and end() would wait for it.
    for (const [id, pending] of Object.entries(client.outgoing)) {
      delete client.outgoing[Number(id)]
      pending.cb?.(new Error('Connection closed'))
    }
    if (state === 'online') log.warn({ url, upQueued: outbox.count() }, 'edge link: offline, reconnecting')
    if (state !== 'refused') setState('offline')
    scheduleReconnect()
  })

  /**
   * Every home message bound up enters the outbox first, with its stable id (kept when it has one), and is sent from
   * there; it leaves the outbox on the edge's PUBACK.
   */
  const sendUp = (message: Message) => {
    if (syncing) {
      heldDuringSync.push(message)
      return
    }
    outbox.append(withStableId(message, stableIdOf(message) ?? newStableId(Date.now())))
    pumpUp()
  }

  /** Sends what waits in the outbox, oldest first, up to UP_WINDOW unacknowledged. */
  const pumpUp = () => {
    if (state !== 'online' || !client.connected) return
    const room = UP_WINDOW - inflight
    if (room <= 0) return
    const gen = generation
    for (const row of outbox.after(cursor, room)) {
      cursor = row.seq
      inflight++
      const p = toLinkPublish(row.message)
      // mqtt.js wants correlation data as a Buffer.
      const { correlationData, ...rest } = p.properties ?? {}
      const props = { ...rest, ...(correlationData ? { correlationData: Buffer.from(correlationData) } : {}) }
      if (row.sync) props.userProperties = { ...props.userProperties, [LINK_SYNC_PROPERTY]: '1' }
      const properties = Object.keys(props).length > 0 ? props : undefined
      const publishOptions: IClientPublishOptions = { qos: p.qos, retain: p.retain, ...(properties ? { properties } : {}) }
      client.publish(p.topic, Buffer.from(p.payload), publishOptions, (err?: Error & { code?: number }) => {
        if (gen !== generation) return // that connection is gone: the message goes again on the next one
        inflight--
        if (!err) {
          counts.up++
          outbox.remove(row.seq)
        } else if (typeof err.code === 'number') {
          // The edge answered with a failure reason code: sending it again would get the same answer.
          log.warn({ topic: p.topic, reasonCode: err.code }, 'edge link: the edge refused a message')
          outbox.remove(row.seq)
        } else {
          log.debug({ err: err.message, topic: p.topic }, 'edge link: message up not acknowledged, it goes again')
        }
        pumpUp()
      })
    }
  }

  /**
   * On each connect the edge gets home's retained state, so GET /v1/retained at the edge is right after an outage.
   * The copies are marked (postbridge-sync): the edge updates its view and reports only what changed.
   */
  async function syncRetained(): Promise<void> {
    syncing = true
    outbox.removeSync()
    const retained: Message[] = []
    try {
      const seen = new Set<string>()
      for (const filter of options.up) {
        for (const m of await bus.retained(filter)) {
          if (!seen.has(m.topic)) retained.push(m)
          seen.add(m.topic)
        }
      }
    } catch (err) {
      log.warn({ err: String(err) }, 'edge link: reading retained messages for the edge failed')
    } finally {
      syncing = false
      // The stored state first, then what arrived live meanwhile, so a newer live value is not overwritten.
      const live = heldDuringSync.splice(0)
      for (const m of retained) outbox.append(withStableId(m, stableIdOf(m) ?? newStableId(Date.now())), true)
      for (const m of live) sendUp(m)
      pumpUp()
    }
  }

  // Replies to POST /v1/request at the edge always go up, whatever edge.up says.
  const filters = [...new Set([...options.up, `${RESPONSE_TOPIC_PREFIX}#`])]
  const unsubscribe: Unsubscribe = await bus.subscribe(filters, sendUp, { retainAsPublished: true })

  return {
    status: () => ({
      state,
      url,
      since: new Date(since).toISOString(),
      attempts,
      ...(state !== 'online' ? { downSince: new Date(downSince).toISOString() } : {}),
      ...(nextAttemptAt !== undefined ? { nextAttemptInMs: Math.max(0, nextAttemptAt - Date.now()) } : {}),
      ...(lastError ? { lastError } : {}),
      messagesUp: counts.up,
      messagesDown: counts.down,
      upQueued: outbox.count(),
      upDroppedOffline: outbox.dropped,
    }),
    waitOnline(timeoutMs) {
      if (state === 'online') return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          onlineWaiters.delete(done)
          reject(new Error(`edge link not online within ${timeoutMs} ms (${state}${lastError ? `: ${lastError}` : ''})`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          onlineWaiters.delete(done)
          resolve()
        }
        onlineWaiters.add(done)
      })
    },
    async close() {
      closing = true
      if (retry) clearTimeout(retry)
      await unsubscribe()
      // mqtt.js's end() can wait forever on a connection that is already gone (its DISCONNECT is held for a
      // connect that never comes): force it then, and give a live one a moment to say goodbye.
      const ended = client.endAsync(!client.connected)
      const gaveUp = await Promise.race([ended.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 2000).unref())])
      if (gaveUp) client.end(true)
      setState('offline')
    },
  }
}
