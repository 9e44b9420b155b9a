/**
 * A front for aedes' message emitter (mqemitter 7) that cannot overflow the stack.
 *
 * mqemitter queues a message once `concurrency` messages are in flight and, when one completes,
 * starts the next from inside the completion callback (released -> _do -> fastparallel -> released).
 * A message whose listeners all call back synchronously (no subscriber at all, a `#` subscriber
 * skipping a `$SYS` topic, an in-process listener) completes inside that call, so a backlog of such
 * messages drains by recursion, one stack frame group per message. A slow subscriber holding all
 * 100 slots builds a backlog of thousands; when it goes away the backlog drains recursively and the
 * process dies with "RangeError: Maximum call stack size exceeded" (reproduced with 6 publishers,
 * one paused `#` subscriber and drainTimeout 3 s; see emitter-gate.test.ts).
 *
 * The gate keeps the queue itself and drains it in a loop; the inner emitter only ever sees
 * `concurrency` messages at once, so its own queue (and recursion) is never used.
 *
 * A message that is only waiting for slow subscribers can be detached from the concurrency count
 * (see delivery-window.ts): its publisher stays held until it completes, everyone else moves on.
 */
import type { BrokerPacket, Callback, DeliverFn, Emitter } from '../aedes-internals.js'

/** Synchronous completions handled in one turn before yielding to I/O. */
const MAX_STARTS_PER_TURN = 1000

interface Pending {
  packet: BrokerPacket
  done: Callback
}

function noop(): void {}

function packetKey(packet: Pick<BrokerPacket, 'brokerId' | 'brokerCounter'>): string {
  return `${packet.brokerId}:${packet.brokerCounter}`
}

export class EmitterGate implements Emitter {
  /** Waiting messages from `head` on; the slots before it are emptied as messages start. */
  private queue: (Pending | undefined)[] = []
  /** Messages in flight that still count against `concurrency`, by brokerId:brokerCounter. */
  private readonly counted = new Set<string>()
  private head = 0
  private active = 0
  private draining = false
  private resumeScheduled = false
  private closed = false
  /** Highest backlog seen, for status and the flood test. */
  maxBacklog = 0

  constructor(
    private readonly inner: Emitter,
    readonly concurrency: number,
  ) {
    // Never let the inner emitter queue: its queue is the recursive one.
    inner.concurrency = 0
  }

  get backlog(): number {
    return this.queue.length - this.head
  }

  get inFlight(): number {
    return this.active
  }

  on(topicFilter: string, notify: DeliverFn, done?: () => void): this {
    this.inner.on(topicFilter, notify, done)
    return this
  }

  removeListener(topicFilter: string, notify: DeliverFn, done?: () => void): this {
    this.inner.removeListener(topicFilter, notify, done)
    return this
  }

  emit(packet: BrokerPacket, done: Callback = noop): this {
    if (this.closed) {
      done(new Error('emitter is closed'))
      return this
    }
    this.queue.push({ packet, done })
    this.maxBacklog = Math.max(this.maxBacklog, this.backlog)
    this.drain()
    return this
  }

  /**
   * Stop counting this in-flight message against the concurrency limit. Subscribers get their own
   * copy of the packet, which keeps brokerId and brokerCounter, so any copy identifies it.
   */
  detach(packet: Pick<BrokerPacket, 'brokerId' | 'brokerCounter'>): void {
    if (this.counted.delete(packetKey(packet))) {
      this.active--
      this.drain()
    }
  }

  close(done: () => void): this {
    this.closed = true
    const left = this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    for (const p of left) p?.done(new Error('emitter is closed'))
    this.inner.close(done)
    return this
  }

  private drain(): void {
    // Re-entered from a synchronous completion: the loop below picks up the next message.
    if (this.draining) return
    this.draining = true
    try {
      let starts = 0
      while (this.active < this.concurrency && this.backlog > 0) {
        if (starts++ === MAX_STARTS_PER_TURN) {
          this.scheduleResume()
          break
        }
        const next = this.shift()
        const key = packetKey(next.packet)
        this.active++
        this.counted.add(key)
        this.inner.emit(next.packet, (err) => {
          if (this.counted.delete(key)) this.active--
          next.done(err)
          this.drain()
        })
      }
    } finally {
      this.draining = false
    }
  }

  private shift(): Pending {
    const next = this.queue[this.head]!
    // Let go of it now: a started message (its payload, its publisher's callback) must not live on in
    // the array until the next compaction, up to a thousand messages later. Kept, they outlived young-
    // generation collections and were copied into the old generation, which made every collection dearer.
    this.queue[this.head] = undefined
    this.head++
    // Compact now and then so the array does not grow for ever (Array#shift is O(n) on big arrays).
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    return next
  }

  private scheduleResume(): void {
    if (this.resumeScheduled) return
    this.resumeScheduled = true
    setImmediate(() => {
      this.resumeScheduled = false
      this.drain()
    })
  }
}
