/**
 * A cap on each persistent session's stored queue, in messages and in bytes (Mosquitto's max_queued_messages and
 * max_queued_bytes, EMQX's max_mqueue_len).
 *
 * Every QoS 1/2 message matching a persistent session's subscriptions is stored for it until it is delivered and
 * acknowledged, or the session ends. Without a cap, a device subscribed to `#` that went away (or a client that
 * never acknowledges) filled the disk until its session expired, 30 days later by default. With one, a message
 * that would take a session's queue past either limit is not stored for that session: dropped, counted, and
 * logged at most once per session per LOG_EVERY_MS. Its publisher and the other subscribers see no difference.
 *
 * The counts are kept here, in memory, one Map entry per session with a queue: the store tells this what it
 * stores and what it deletes, and at start what it holds. A message's size is its payload and topic in bytes
 * (what its publisher chose; the rest of a stored message is a few dozen bytes of fixed fields, and its MQTT 5
 * properties are bounded by the packet size limit times the message cap).
 */
import type { Logger } from '../../src/ports/logger.js'

/** A session whose queue stays full is named in the log at most this often. */
const LOG_EVERY_MS = 10 * 60_000

export interface StoredQueueLimits {
  /** Messages stored per session; more are dropped. */
  maxMessages: number
  /** Bytes (payload and topic) stored per session; a message that would go past it is dropped. */
  maxBytes: number
}

interface Queue {
  messages: number
  bytes: number
}

/** What a queued message counts for: its payload and topic, in bytes. */
export function storedSize(packet: { topic?: unknown; payload?: unknown }): number {
  const topic = typeof packet.topic === 'string' ? Buffer.byteLength(packet.topic) : 0
  const payload = packet.payload as { byteLength?: unknown } | string | undefined
  if (typeof payload === 'string') return topic + Buffer.byteLength(payload)
  return topic + (typeof payload?.byteLength === 'number' ? payload.byteLength : 0)
}

export class StoredQueues {
  /** Messages not stored because their session's queue was full, since start. */
  dropped = 0
  private readonly queues = new Map<string, Queue>()
  /** The sessions that had messages dropped, and when each was last named in the log. */
  private readonly warned = new Map<string, number>()
  private limits: StoredQueueLimits = { maxMessages: Number.POSITIVE_INFINITY, maxBytes: Number.POSITIVE_INFINITY }
  private log: Logger | undefined

  /** Sets the caps (none until this is called: the store alone, as in its abstract test suite, stores all). */
  limit(limits: StoredQueueLimits, log: Logger): void {
    this.limits = limits
    this.log = log
  }

  /** What the session's queue holds now (0, 0 when it has none). */
  of(clientId: string): Queue {
    return this.queues.get(clientId) ?? { messages: 0, bytes: 0 }
  }

  /** Whether the session had a message dropped (since start, or since it last ended). */
  hasDropped(clientId: string): boolean {
    return this.warned.size > 0 && this.warned.has(clientId)
  }

  /** Whether a message of `size` bytes fits in the session's queue; counts and logs it when it does not. */
  admits(clientId: string, size: number): boolean {
    const queue = this.queues.get(clientId)
    if (queue === undefined) return size <= this.limits.maxBytes || this.drop(clientId, size)
    if (queue.messages < this.limits.maxMessages && queue.bytes + size <= this.limits.maxBytes) return true
    return this.drop(clientId, size)
  }

  /** A message was stored in the session's queue. */
  added(clientId: string, size: number): void {
    const queue = this.queues.get(clientId)
    if (queue === undefined) this.queues.set(clientId, { messages: 1, bytes: size })
    else {
      queue.messages++
      queue.bytes += size
    }
  }

  /** A message left the session's queue (acknowledged, expired). */
  removed(clientId: string, size: number): void {
    const queue = this.queues.get(clientId)
    if (queue === undefined) return
    queue.messages--
    queue.bytes -= size
    if (queue.messages <= 0) this.queues.delete(clientId)
  }

  /** The session ended: its queue is gone. */
  cleared(clientId: string): void {
    this.queues.delete(clientId)
    this.warned.delete(clientId)
  }

  private drop(clientId: string, size: number): false {
    this.dropped++
    const now = Date.now()
    const last = this.warned.get(clientId)
    if (last === undefined || now - last >= LOG_EVERY_MS) {
      this.warned.set(clientId, now)
      const { messages, bytes } = this.of(clientId)
      this.log?.warn(
        {
          clientId,
          storedMessages: messages,
          storedBytes: bytes,
          messageBytes: size,
          maxStoredPerSession: this.limits.maxMessages,
          maxStoredBytesPerSession: this.limits.maxBytes,
          droppedSinceStart: this.dropped,
        },
        'mqtt session queue full: new messages for it are dropped until it takes some',
      )
    }
    return false
  }
}
