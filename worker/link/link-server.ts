/**
 * The edge end of the link: an MQTT 5 server for exactly one client, the home node, over a hibernatable
 * WebSocket held by the Durable Object. Home publishes up what its broker sees; the edge sends down, at QoS 1 and
 * in queue order, what was published at the edge, and forgets a message only when home acknowledged it.
 */
import { bearerFrom } from '../../src/auth/token.js'
import { fromLinkPublish, takeSyncMark, toLinkPublish } from '../../src/link/packet.js'
import { stableIdOf, withStableId } from '../../src/message-id.js'
import { edgeSecretMatches } from '../../src/link/secret.js'
import type { Message } from '../../src/ports/types.js'
import type { Logger } from '../../src/ports/logger.js'
import type { EdgeQueue, QueuedMessage } from './edge-queue.js'
import type { EdgeStats } from './edge-stats.js'
import { CONNACK, connackPacket, createPacketReader, encodePacket, encodePublish, type Packet, type PacketReader } from '../mqtt-codec.js'
import { UpSeen } from './link-up-seen.js'
import type { RetainedStore } from './retained-store.js'

/** What a socket remembers across hibernation (serializeAttachment survives it; instance fields do not). */
export interface LinkAttachment {
  /** A fresh id per socket: a message sent on an older socket is sent again on the next. */
  connection: string
  stage: 'connecting' | 'online' | 'closed'
  protocolVersion: number
  subscribed: boolean
  /** The upgrade carried the edge secret as a bearer token, so CONNECT needs no password. */
  bearerOk: boolean
  remote: string
  connectedAt?: number
  /** The keep-alive home asked for in CONNECT, in seconds; 0 turns the edge's check off [MQTT-3.1.2-22]. */
  keepaliveS?: number
  /** When a packet last came in on this socket, written at most every LAST_SEEN_WRITE_MS (it must outlive hibernation). */
  lastSeenAt?: number
}

/** What the edge knows of home: `unknown` while the socket is open but home has gone quiet or left messages unacknowledged. */
export type LinkState = 'online' | 'unknown' | 'offline'

export type AckOutcome = { kind: 'acked' } | { kind: 'queued' } | { kind: 'rejected'; reasonCode: number }

export interface LinkServerDeps {
  ctx: DurableObjectState
  queue: EdgeQueue
  retained: RetainedStore
  stats: EdgeStats
  edgeSecret: string | undefined
  log: Logger
  now(): number
  /** Called with every message that comes up from home. */
  onUp(message: Message): void
  /** Called when home links (true) and when the last link drops (false), after linkedAt/unlinkedAt are marked. */
  onLinkChange?(online: boolean): void
  /** How long a message sent down may wait for its PUBACK before the link counts as `unknown`. */
  ackTimeoutMs?: number
}

/**
 * Messages sent down and not yet acknowledged, by count and by bytes: enough to keep the link busy through a round
 * trip and a storage commit, few enough to bound the socket's buffer and home's memory.
 */
export const DOWN_WINDOW = 1024
/**
 * The largest packet home may send up: the largest payload the edge can be configured to take (16 MiB, see
 * edge-settings) with room for a topic (64 KiB at most) and properties. It bounds what the reader keeps of a packet
 * that spans frames.
 */
export const MAX_UP_PACKET_BYTES = 16 * 1024 * 1024 + 256 * 1024
export const DOWN_WINDOW_BYTES = 1024 * 1024
/**
 * The window is refilled once it is this empty, in one batch: one WebSocket frame and one storage write for many
 * messages. Each storage write holds the object's outgoing messages until it is durable (the output gate), so a
 * write per message would bound the drain by the disk's commit rate.
 */
const REFILL_AT = DOWN_WINDOW / 2
/** Acknowledged messages are removed from storage in a batch, at the latest this long after their PUBACK. */
const ACK_FLUSH_MS = 100

/** Per connection, in memory: what was sent and waits for its PUBACK, and what was acknowledged and not yet removed. */
interface DownFlow {
  connection: string
  /** packet id -> seq and encoded size */
  inflight: Map<number, { seq: number; bytes: number }>
  inflightBytes: number
  /** The highest seq sent on this connection: what follows it is unsent. */
  sentUpTo: number
  acked: number[]
  delivered: number
  flushTimer?: ReturnType<typeof setTimeout>
}
const TAG = 'link'
// [MQTT-4.13] a protocol error closes the network connection; 1002 is WebSocket's "protocol error".
const WS_PROTOCOL_ERROR = 1002
const WS_POLICY_VIOLATION = 1008
const SESSION_TAKEN_OVER = 0x8e
// [MQTT-3.14.2.1] DISCONNECT reason code "Keep Alive timeout".
const KEEP_ALIVE_TIMEOUT = 0x8d
/** A packet's time is kept in the socket's attachment at most this often: one write per frame would be waste. */
const LAST_SEEN_WRITE_MS = 1000

export class LinkServer {
  private readonly readers = new Map<WebSocket, PacketReader>()
  /** Per socket, the packet being handled: packets are handled one after another, in order. */
  private readonly chains = new Map<WebSocket, Promise<void>>()
  private readonly waiters = new Map<number, (outcome: AckOutcome) => void>()
  /** Per socket, when a packet last came in (the attachment holds a copy that survives hibernation). */
  private readonly lastSeen = new Map<WebSocket, number>()
  /** Since when a message sent down has waited for its PUBACK with none coming in (undefined: nothing waits). */
  private ackWaitSince: number | undefined
  messagesUp = 0
  messagesDown = 0
  private readonly upSeen: UpSeen
  private flow: DownFlow | undefined

  constructor(private readonly deps: LinkServerDeps) {
    this.upSeen = new UpSeen(deps.ctx.storage.sql)
  }

  /** Answers the upgrade at /v1/link. A bearer header, when sent, must be the edge secret; else CONNECT's password is checked. */
  async accept(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('the link is MQTT over WebSocket: send an Upgrade: websocket request\n', { status: 426, headers: { upgrade: 'websocket' } })
    }
    const remote = request.headers.get('cf-connecting-ip') ?? 'unknown'
    const bearer = bearerFrom(request.headers.get('authorization') ?? undefined)
    let bearerOk = false
    if (bearer !== undefined) {
      bearerOk = this.deps.edgeSecret !== undefined && (await edgeSecretMatches(bearer, this.deps.edgeSecret))
      if (!bearerOk) {
        this.refused(remote, 'bearer')
        return new Response('wrong edge secret\n', { status: 401 })
      }
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
    // Hibernatable: the Durable Object may leave memory while home is linked and idle, and wakes for each frame.
    this.deps.ctx.acceptWebSocket(server, [TAG])
    const attachment: LinkAttachment = {
      connection: crypto.randomUUID(),
      stage: 'connecting',
      protocolVersion: 5,
      subscribed: false,
      bearerOk,
      remote,
    }
    saveAttachment(server, attachment)
    // A client asking for the "mqtt" subprotocol (mqtt.js does) fails the handshake unless it is echoed [MQTT-6.0.0-3].
    const offered = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim())
    const headers: Record<string, string> = offered.includes('mqtt') ? { 'sec-websocket-protocol': 'mqtt' } : {}
    return new Response(null, { status: 101, webSocket: client, headers })
  }

  /** One WebSocket frame from home. */
  onFrame(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    this.seen(ws)
    if (typeof data === 'string') {
      this.closeSocket(ws, WS_PROTOCOL_ERROR, 'MQTT needs binary frames') // [MQTT-6.0.0-1]
      return Promise.resolve()
    }
    let reader = this.readers.get(ws)
    if (!reader) {
      reader = createPacketReader(
        (packet) => this.enqueuePacket(ws, packet),
        (err) => {
          this.deps.log.warn({ err: err.message }, 'link: malformed MQTT packet, closing')
          this.closeSocket(ws, WS_PROTOCOL_ERROR, 'malformed packet')
        },
        MAX_UP_PACKET_BYTES,
      )
      this.readers.set(ws, reader)
    }
    reader.push(data)
    return this.chains.get(ws) ?? Promise.resolve()
  }

  onClose(ws: WebSocket): void {
    this.readers.delete(ws)
    this.chains.delete(ws)
    this.lastSeen.delete(ws)
    const attachment = attachmentOf(ws)
    if (attachment?.stage !== 'online') {
      this.closeSocket(ws, 1000, 'bye')
      return
    }
    // Closed first: online() stops counting this socket at once, and the close event that follows a DISCONNECT is
    // not a second unlink.
    attachment.stage = 'closed'
    try {
      saveAttachment(ws, attachment)
    } catch {
      // The socket is already gone; nothing will read its attachment again.
    }
    if (this.flow?.connection === attachment.connection) this.flushAcks(this.flow)
    if (!this.otherOnline(ws)) {
      this.ackWaitSince = undefined
      this.deps.stats.mark('unlinkedAt', this.deps.now())
      this.deps.log.info({ connection: attachment.connection, queued: this.deps.queue.count() }, 'link: home disconnected')
      // Whoever waits for an ack hears "queued": the message stays and goes on the next connection.
      this.settleAll({ kind: 'queued' })
      this.deps.onLinkChange?.(false)
    }
    this.closeSocket(ws, 1000, 'bye')
  }

  /** The socket of the linked home, if any. */
  online(): WebSocket | undefined {
    return this.deps.ctx.getWebSockets(TAG).find((ws) => attachmentOf(ws)?.stage === 'online')
  }

  onlineSince(): number | undefined {
    const ws = this.online()
    return ws ? attachmentOf(ws)?.connectedAt : undefined
  }

  /**
   * `online` only while home shows signs of life: a packet within its keep-alive, and no message waiting for its
   * PUBACK longer than the ack timeout. A silently dead link is `unknown` until the keep-alive check closes it.
   */
  state(): LinkState {
    const ws = this.online()
    if (!ws) return 'offline'
    const now = this.deps.now()
    const keepaliveMs = (attachmentOf(ws)?.keepaliveS ?? 0) * 1000
    if (keepaliveMs > 0 && now - this.lastSeenAt(ws) > keepaliveMs) return 'unknown'
    const ackTimeoutMs = this.deps.ackTimeoutMs
    if (ackTimeoutMs !== undefined && this.ackWaitSince !== undefined && now - this.ackWaitSince > ackTimeoutMs) return 'unknown'
    return 'online'
  }

  /**
   * When the edge must give up on the linked socket: 1.5 times the keep-alive after the last packet [MQTT-3.1.2-22].
   * The hub's alarm fires then, so the check needs no timer in memory and the object may hibernate meanwhile.
   */
  keepAliveDeadline(): number | undefined {
    const ws = this.online()
    const keepaliveS = ws ? attachmentOf(ws)?.keepaliveS : undefined
    if (!ws || !keepaliveS) return undefined
    return this.lastSeenAt(ws) + keepaliveS * 1500
  }

  /** Closes a linked socket that has been silent past its deadline; true when it did. */
  enforceKeepAlive(): boolean {
    const deadline = this.keepAliveDeadline()
    const ws = this.online()
    if (!ws || deadline === undefined || this.deps.now() < deadline) return false
    const attachment = attachmentOf(ws)
    this.deps.log.warn(
      { connection: attachment?.connection, silentMs: this.deps.now() - this.lastSeenAt(ws) },
      'link: no packet from home within 1.5 times its keep-alive, closing',
    )
    if (attachment?.protocolVersion === 5) this.trySend(ws, encodePacket({ cmd: 'disconnect', reasonCode: KEEP_ALIVE_TIMEOUT }, 5))
    this.onClose(ws)
    return true
  }

  /** Resolves when home acknowledged the message, or with "queued" after `timeoutMs` or when the link drops. */
  awaitAck(seq: number, timeoutMs: number): Promise<AckOutcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(seq, { kind: 'queued' }), timeoutMs)
      this.waiters.set(seq, (outcome) => {
        clearTimeout(timer)
        resolve(outcome)
      })
    })
  }

  /** Sends what waits, oldest first, as far as the window allows. Expired messages are dropped on the way. */
  pump(): void {
    this.dropExpired()
    const ws = this.online()
    const attachment = ws && attachmentOf(ws)
    if (!ws || !attachment?.subscribed) return
    const { queue, now } = this.deps
    const flow = this.flowFor(attachment.connection)
    // Flow control by in-flight count and bytes: wait until the window is half empty, then fill it in one batch.
    if (flow.inflight.size > REFILL_AT || flow.inflightBytes > DOWN_WINDOW_BYTES / 2) return
    this.flushAcks(flow)
    const candidates = queue.unsent(attachment.connection, DOWN_WINDOW - flow.inflight.size, flow.sentUpTo)
    const batch: typeof candidates = []
    const packets: Uint8Array[] = []
    let bytes = flow.inflightBytes
    for (const queued of candidates) {
      // The queue id is the message's stable id: a resend carries the same one, so home's devices can drop repeats.
      const publish = toLinkPublish(withStableId(withRemainingExpiry(queued, now()), queued.id))
      // DUP marks a resend after a reconnect [MQTT-3.3.1-1]; home may see the message twice, never zero times.
      const packet = encodePublish(publish, queued.packetId, queued.sentOn !== null, attachment.protocolVersion)
      // At least one message per batch, however large (the payload limit bounds it).
      if (batch.length > 0 && bytes + packet.byteLength > DOWN_WINDOW_BYTES) break
      batch.push(queued)
      packets.push(packet)
      bytes += packet.byteLength
    }
    if (batch.length === 0) return
    // [MQTT-6.0.0-2] a WebSocket frame may hold several MQTT packets: the batch goes in one frame.
    // A socket that closed under us (its close event not handled yet) ends the pump: the batch stays unsent and goes
    // on the next link.
    if (!this.trySend(ws, concatBytes(packets))) {
      this.onClose(ws)
      return
    }
    queue.markSentRange(batch[0]!.seq, batch[batch.length - 1]!.seq, attachment.connection)
    flow.sentUpTo = batch[batch.length - 1]!.seq
    for (const [i, q] of batch.entries()) flow.inflight.set(q.packetId, { seq: q.seq, bytes: packets[i]?.byteLength ?? 0 })
    flow.inflightBytes = bytes
    this.ackWaitSince ??= now()
    this.messagesDown += batch.length
  }

  /** The in-memory flow of this connection; after a wake from hibernation it is rebuilt from storage. */
  private flowFor(connection: string): DownFlow {
    if (this.flow?.connection === connection) return this.flow
    if (this.flow) this.flushAcks(this.flow)
    // Their sizes are not stored; they count as 0 bytes until acknowledged.
    const sent = this.deps.queue.sentOn(connection)
    const inflight = new Map(sent.map((r) => [r.packetId, { seq: r.seq, bytes: 0 }] as const))
    this.flow = { connection, inflight, inflightBytes: 0, sentUpTo: sent.at(-1)?.seq ?? 0, acked: [], delivered: 0 }
    return this.flow
  }

  /** Removes what home acknowledged, and counts it, in one write. */
  private flushAcks(flow: DownFlow): void {
    if (flow.flushTimer !== undefined) clearTimeout(flow.flushTimer)
    flow.flushTimer = undefined
    if (flow.acked.length === 0) return
    this.deps.queue.removeMany(flow.acked.splice(0))
    this.deps.stats.add('delivered', flow.delivered)
    flow.delivered = 0
  }

  /** Drops expired messages, counts them, and answers their waiters. */
  dropExpired(): number {
    const dropped = this.deps.queue.dropExpired(this.deps.now())
    if (dropped.length === 0) return 0
    this.deps.stats.add('expired', dropped.length)
    for (const d of dropped) this.settle(d.seq, { kind: 'queued' })
    this.deps.log.warn(
      { count: dropped.length, topics: [...new Set(dropped.map((d) => d.message.topic))].slice(0, 10) },
      'link: queued messages expired before home came back',
    )
    return dropped.length
  }

  private enqueuePacket(ws: WebSocket, packet: Packet): void {
    const previous = this.chains.get(ws) ?? Promise.resolve()
    const next = previous
      .then(() => this.handle(ws, packet))
      .catch((err: unknown) => {
        this.deps.log.error({ err: err instanceof Error ? err.stack : String(err), cmd: packet.cmd }, 'link: packet handling failed')
        this.closeSocket(ws, 1011, 'internal error')
      })
    this.chains.set(ws, next)
  }

  private async handle(ws: WebSocket, packet: Packet): Promise<void> {
    const attachment = attachmentOf(ws)
    // A socket taken over or closed says nothing more that counts.
    if (!attachment || attachment.stage === 'closed') return
    if (attachment.stage === 'connecting') {
      // [MQTT-3.1.0-1] the first packet is CONNECT
      if (packet.cmd !== 'connect') return this.closeSocket(ws, WS_PROTOCOL_ERROR, 'expected CONNECT')
      return this.onConnect(ws, attachment, packet)
    }
    const send = (p: Packet) => ws.send(encodePacket(p, attachment.protocolVersion))
    switch (packet.cmd) {
      case 'connect':
        return this.closeSocket(ws, WS_PROTOCOL_ERROR, 'second CONNECT') // [MQTT-3.1.0-2]
      case 'subscribe':
        attachment.subscribed = true
        saveAttachment(ws, attachment)
        // Everything published at the edge goes down whatever the filter; grant QoS 1, the link's QoS.
        send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 1) })
        this.pump()
        return
      case 'unsubscribe':
        send({
          cmd: 'unsuback',
          messageId: packet.messageId,
          ...(attachment.protocolVersion === 5 ? { granted: packet.unsubscriptions.map(() => 0) } : {}),
        } as Packet)
        return
      case 'publish':
        return this.onUp(packet, send)
      case 'pubrel':
        send({ cmd: 'pubcomp', messageId: packet.messageId })
        return
      case 'puback':
        return this.onPuback(attachment, packet.messageId ?? 0, packet.reasonCode ?? 0)
      case 'pingreq':
        send({ cmd: 'pingresp' })
        return
      case 'disconnect':
        // Home left on purpose: the edge knows now, not only when the close handshake is done.
        return this.onClose(ws)
      default:
        return
    }
  }

  private async onConnect(ws: WebSocket, attachment: LinkAttachment, packet: Extract<Packet, { cmd: 'connect' }>): Promise<void> {
    const version = packet.protocolVersion ?? 4
    if (version !== 4 && version !== 5) {
      ws.send(encodePacket(connackPacket(CONNACK.unsupportedProtocol, 4), 4))
      return this.closeSocket(ws, WS_POLICY_VIOLATION, 'unsupported protocol version')
    }
    const secret = this.deps.edgeSecret
    const authorized = attachment.bearerOk || (secret !== undefined && (await edgeSecretMatches(packet.password, secret)))
    if (!authorized) {
      this.refused(attachment.remote, secret === undefined ? 'unset' : 'password', packet.clientId)
      // [MQTT-3.2.2-6] CONNACK with a failure code, then close.
      ws.send(encodePacket(connackPacket(CONNACK.notAuthorized, version), version))
      return this.closeSocket(ws, WS_POLICY_VIOLATION, 'not authorized')
    }
    // One home per edge: a new link replaces an old one that never said goodbye (its TCP may be half-dead).
    // The takeover is complete at once: the old socket is closed and no longer counts as online, so nothing more is
    // sent on it. What it left unacknowledged goes again on the new link, and whoever waits for those acks keeps
    // waiting for the new link's.
    for (const other of this.deps.ctx.getWebSockets(TAG)) {
      const o = attachmentOf(other)
      if (other === ws || o?.stage !== 'online') continue
      if (o.protocolVersion === 5) this.trySend(other, encodePacket({ cmd: 'disconnect', reasonCode: SESSION_TAKEN_OVER }, 5))
      o.stage = 'closed'
      try {
        saveAttachment(other, o)
      } catch {
        // Already gone.
      }
      this.closeSocket(other, 1000, 'session taken over')
      this.readers.delete(other)
      this.chains.delete(other)
      this.lastSeen.delete(other)
      this.deps.log.info({ connection: o.connection }, 'link: a new link took over from an old one')
    }
    this.ackWaitSince = undefined
    const now = this.deps.now()
    Object.assign(attachment, { stage: 'online', protocolVersion: version, connectedAt: now, keepaliveS: packet.keepalive ?? 0, lastSeenAt: now })
    saveAttachment(ws, attachment)
    this.deps.stats.mark('linkedAt', now)
    ws.send(encodePacket(connackPacket(CONNACK.accepted, version), version))
    this.deps.log.info({ clientId: packet.clientId, protocolVersion: version, queued: this.deps.queue.count() }, 'link: home connected')
    this.deps.onLinkChange?.(true)
  }

  private onUp(packet: Extract<Packet, { cmd: 'publish' }>, send: (p: Packet) => void): void {
    const { message, sync } = takeSyncMark(fromLinkPublish({ ...packet, payload: packet.payload as Uint8Array }))
    const id = stableIdOf(message)
    if (sync) {
      // Home's retained state on connect: old news unless the value changed. The view is updated either way.
      if (this.deps.retained.holdsSame(message)) this.deps.stats.add('syncUnchanged')
      else this.deliverUp(message)
    } else if (id !== undefined && this.upSeen.has(id)) {
      // A resend of a message the edge has (its PUBACK was lost with the link): acknowledged again, delivered once.
      this.deps.stats.add('upRepeats')
    } else {
      this.deliverUp(message)
      if (id !== undefined) this.upSeen.add(id)
    }
    if (packet.qos === 1) send({ cmd: 'puback', messageId: packet.messageId })
    else if (packet.qos === 2) send({ cmd: 'pubrec', messageId: packet.messageId })
  }

  private deliverUp(message: Message): void {
    // Stored before the ack, so an acknowledged retained message survives the edge restarting.
    this.deps.retained.apply(message, this.deps.now())
    this.messagesUp++
    this.deps.onUp(message)
  }

  private onPuback(attachment: LinkAttachment, packetId: number, reasonCode: number): void {
    const flow = this.flowFor(attachment.connection)
    const sent = flow.inflight.get(packetId)
    if (sent !== undefined) {
      const { seq } = sent
      flow.inflight.delete(packetId)
      flow.inflightBytes -= sent.bytes
      // Removed from storage with the next batch: a crash before that sends it again (at least once, same id).
      flow.acked.push(seq)
      // MQTT 5 reason codes of 0x80 and above are failures [MQTT-3.4.2.1]: home's broker refused the message.
      if (reasonCode >= 0x80) {
        this.deps.stats.add('rejectedByHome')
        this.deps.log.warn({ packetId, reasonCode }, 'link: home refused a message')
        this.settle(seq, { kind: 'rejected', reasonCode })
      } else {
        flow.delivered++
        this.settle(seq, { kind: 'acked' })
      }
      flow.flushTimer ??= setTimeout(() => this.flushAcks(flow), ACK_FLUSH_MS)
    }
    // Progress: home answers. The wait starts again for what is still in flight.
    this.ackWaitSince = flow.inflight.size > 0 ? this.deps.now() : undefined
    // Most PUBACKs only count down; the one that empties half the window refills it.
    if (flow.inflight.size <= REFILL_AT && flow.inflightBytes <= DOWN_WINDOW_BYTES / 2) this.pump()
  }

  private refused(remote: string, how: 'bearer' | 'password' | 'unset', clientId?: string): void {
    this.deps.stats.add('linkRefused')
    this.deps.stats.mark('refusedAt', this.deps.now())
    const reason = how === 'unset' ? 'POSTBRIDGE_EDGE_SECRET is not set at the edge' : `wrong edge secret (${how})`
    this.deps.log.warn({ remote, ...(clientId ? { clientId } : {}) }, `link refused: ${reason}`)
  }

  private otherOnline(ws: WebSocket): boolean {
    return this.deps.ctx.getWebSockets(TAG).some((o) => o !== ws && attachmentOf(o)?.stage === 'online')
  }

  private settle(seq: number, outcome: AckOutcome): void {
    const waiter = this.waiters.get(seq)
    if (!waiter) return
    this.waiters.delete(seq)
    waiter(outcome)
  }

  private settleAll(outcome: AckOutcome): void {
    for (const seq of [...this.waiters.keys()]) this.settle(seq, outcome)
  }

  /** Sends unless the socket is closed; false when it was. */
  private trySend(ws: WebSocket, bytes: Uint8Array): boolean {
    try {
      ws.send(bytes)
      return true
    } catch {
      return false
    }
  }

  /** Notes a packet's arrival, in memory at once and in the attachment now and then. */
  private seen(ws: WebSocket): void {
    const now = this.deps.now()
    this.lastSeen.set(ws, now)
    const attachment = attachmentOf(ws)
    if (attachment?.stage === 'online' && now - (attachment.lastSeenAt ?? 0) >= LAST_SEEN_WRITE_MS) {
      attachment.lastSeenAt = now
      saveAttachment(ws, attachment)
    }
  }

  private lastSeenAt(ws: WebSocket): number {
    const a = attachmentOf(ws)
    return this.lastSeen.get(ws) ?? a?.lastSeenAt ?? a?.connectedAt ?? this.deps.now()
  }

  private closeSocket(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason)
    } catch {
      // Already closed: nothing to do.
    }
  }
}

/**
 * The attachments read or written while the object is in memory: every packet needs its socket's, and reading one
 * back is a structured clone. After hibernation the sockets are new objects, and their attachments are read again.
 */
const attachments = new WeakMap<WebSocket, LinkAttachment>()

function attachmentOf(ws: WebSocket): LinkAttachment | undefined {
  const known = attachments.get(ws)
  if (known) return known
  const read = (ws.deserializeAttachment() as LinkAttachment | null) ?? undefined
  if (read) attachments.set(ws, read)
  return read
}

/** Keeps the attachment across hibernation, and in memory for attachmentOf. Throws when the socket is gone. */
function saveAttachment(ws: WebSocket, attachment: LinkAttachment): void {
  attachments.set(ws, attachment)
  ws.serializeAttachment(attachment)
}

/** [MQTT-3.3.2-6] a forwarded message carries the expiry interval minus the time it waited. */
function withRemainingExpiry(queued: QueuedMessage, now: number): Message {
  const interval = queued.message.properties?.messageExpiryInterval
  if (interval === undefined) return queued.message
  const remaining = Math.max(1, Math.ceil((queued.expiresAt - now) / 1000))
  return { ...queued.message, properties: { ...queued.message.properties, messageExpiryInterval: Math.min(interval, remaining) } }
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}
