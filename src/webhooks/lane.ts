/**
 * One webhook's delivery lane: sends its outbox rows one at a time, oldest first, and holds the head back until it
 * is delivered or dead, so the receiver sees messages in order. Each lane is its own async loop: a receiver that
 * stalls only ever stalls its own lane.
 *
 * The rows it holds in memory are bounded in number and in body bytes; a row past either bound stays in the store
 * (it is committed there already) and is read once the lane has sent what it holds.
 */
import type { Logger } from '../ports/logger.js'
import { deliverOnce, type DeliveryResult } from './deliver.js'
import type { AttemptRecord, OutboxEntry, RowChange, Settlement, WebhookRecord, WebhookStore } from './ports.js'
import type { Scheduler } from '../ports/scheduler.js'
import { nextStep, type RetryPolicy } from './retry.js'
import { importSigningKey, signatureHeaders } from './sign.js'
import { utf8Length } from '../util/bytes.js'

export interface LaneContext {
  store: WebhookStore
  fetch: typeof fetch
  now(): number
  scheduler: Scheduler
  log: Logger
  policy: RetryPolicy
  timeoutMs: number
  /** Rows held in memory; the rest wait in the store and are read when these are done. */
  bufferLimit: number
  /** Body bytes (UTF-8) held in memory, as bufferLimit; one row is always held, whatever its size. */
  bufferBytes: number
  /** Why the URL may not be called now (policy, re-checked at delivery against DNS changes), or undefined. */
  checkUrl(url: string): Promise<string | undefined>
  /** Queues the write of an attempt; the lane does not wait for it (a lost write means a duplicate, never a loss). */
  settle(settlement: Settlement): void
  /** Resolves when every queued settlement is written: before the lane reads the store. */
  flushSettlements(): Promise<void>
  /** The receiver answered 410 Gone. */
  onGone(webhookId: string): void
  onOutcome?(outcome: AttemptRecord['outcome']): void
}

/** After an unexpected error (the store failing), wait this long before the next try. */
const ERROR_PAUSE_MS = 1000
/** A signature made ahead is used only this fresh: receivers reject timestamps more than 5 minutes off. */
const PRESIGN_MAX_AGE_MS = 30_000

export class DeliveryLane {
  private queue: OutboxEntry[] = []
  /** Body bytes (UTF-8) of the rows in `queue`. */
  private queuedBytes = 0
  /** Highest seq taken into `queue`; rows above it are read from the store or accepted live. */
  private maxSeq = 0
  /** True when rows may be waiting in the store that are not in `queue`. */
  private needsLoad = true
  private loading = false
  private stopped = false
  private replays: ((count: number) => void)[] = []
  private wake: (() => void) | undefined
  private key: { secret: string; key: Promise<CryptoKey> } | undefined
  /** The next row's signature, made while the current request is in flight (Web Crypto answers asynchronously). */
  private presigned: { seq: number; secret: string; at: number; headers: Promise<Record<string, string>> } | undefined
  private readonly abort = new AbortController()
  /** Seq of the row whose attempt is in flight. */
  private sending: number | undefined
  readonly done: Promise<void>

  constructor(
    private hook: WebhookRecord,
    private readonly ctx: LaneContext,
  ) {
    this.done = this.run()
  }

  get id(): string {
    return this.hook.id
  }

  get backlog(): number {
    return this.queue.length
  }

  /** Body bytes of the rows held in memory. */
  get backlogBytes(): number {
    return this.queuedBytes
  }

  /** A new version of the hook (PATCH, 410); takes effect from the next attempt. */
  update(hook: WebhookRecord): void {
    this.hook = hook
    this.poke()
  }

  /** A row just committed to the outbox for this hook. Rows arrive in seq order. */
  accept(entry: OutboxEntry): void {
    if (entry.seq <= this.maxSeq) return
    if (this.loading || this.needsLoad || !this.hold(entry)) this.needsLoad = true
    this.poke()
  }

  /** Forgets rows the store made dead to keep the outbox within its byte cap; the one being sent finishes its attempt. */
  evict(seqs: Set<number>): void {
    this.queue = this.queue.filter((row) => row.seq === this.sending || !seqs.has(row.seq))
    this.queuedBytes = 0
    for (const row of this.queue) this.queuedBytes += utf8Length(row.body)
  }

  /** Re-queues dead rows between two attempts (never during one) and resolves with how many. */
  replay(): Promise<number> {
    return new Promise((resolve) => {
      this.replays.push(resolve)
      this.poke()
    })
  }

  /** Stops the loop; an attempt in flight is aborted and not counted, so it is sent again after a restart. */
  stop(): Promise<void> {
    this.stopped = true
    this.abort.abort()
    this.poke()
    return this.done
  }

  private poke(): void {
    this.wake?.()
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step()
      } catch (err) {
        this.ctx.log.error({ webhookId: this.hook.id, err: err instanceof Error ? err.message : String(err) }, 'webhook lane error')
        await this.sleep(ERROR_PAUSE_MS)
      }
    }
    for (const resolve of this.replays.splice(0)) resolve(0)
  }

  private async step(): Promise<void> {
    if (this.replays.length > 0) return this.requeue()
    if (!this.hook.enabled) return this.sleep()
    if (this.queue.length === 0 && this.needsLoad) await this.load()
    const head = this.queue[0]
    if (!head) return this.sleep()
    const waitMs = head.nextAttemptAt - this.ctx.now()
    if (waitMs > 0) return this.sleep(waitMs)
    await this.attempt(head)
  }

  private async requeue(): Promise<void> {
    const waiting = this.replays.splice(0)
    await this.ctx.flushSettlements()
    const count = await this.ctx.store.requeue(this.hook.id, this.ctx.now())
    // Re-queued rows sit below maxSeq: forget the buffer and read the store again, in seq order.
    this.queue = []
    this.queuedBytes = 0
    this.maxSeq = 0
    this.needsLoad = true
    for (const resolve of waiting) resolve(count)
  }

  private async load(): Promise<void> {
    this.loading = true
    this.needsLoad = false
    try {
      // No need to flush queued settlements first: they are all for rows at or below maxSeq, which this read skips.
      // (requeue() resets maxSeq, and flushes before it does.)
      const rows = await this.ctx.store.pending(this.hook.id, this.maxSeq, this.ctx.bufferLimit, this.ctx.bufferBytes)
      for (const row of rows) {
        if (row.seq > this.maxSeq && !this.hold(row)) break
      }
      // The read stopped at a bound (of rows or bytes), so more may wait: read again once these are sent.
      if (rows.length > 0) this.needsLoad = true
    } catch (err) {
      this.needsLoad = true
      throw err
    } finally {
      this.loading = false
    }
  }

  /** Takes the row into memory if it fits both bounds (an empty queue takes any row); false when it does not. */
  private hold(entry: OutboxEntry): boolean {
    const bytes = utf8Length(entry.body)
    const empty = this.queue.length === 0
    if (!empty && (this.queue.length >= this.ctx.bufferLimit || this.queuedBytes + bytes > this.ctx.bufferBytes)) return false
    this.queue.push(entry)
    this.queuedBytes += bytes
    this.maxSeq = entry.seq
    return true
  }

  private signingKey(): Promise<CryptoKey> {
    if (this.key?.secret !== this.hook.secret) this.key = { secret: this.hook.secret, key: importSigningKey(this.hook.secret) }
    return this.key.key
  }

  private sign(entry: OutboxEntry): Promise<Record<string, string>> {
    const at = this.ctx.now()
    const headers = this.signingKey().then((key) => signatureHeaders(key, entry.messageId, at, entry.body))
    headers.catch(() => {}) // a presigned promise may never be awaited
    return headers
  }

  private signatureFor(entry: OutboxEntry): Promise<Record<string, string>> {
    const ahead = this.presigned
    this.presigned = undefined
    if (ahead && ahead.seq === entry.seq && ahead.secret === this.hook.secret && this.ctx.now() - ahead.at < PRESIGN_MAX_AGE_MS) return ahead.headers
    return this.sign(entry)
  }

  private async send(hook: WebhookRecord, head: OutboxEntry): Promise<DeliveryResult> {
    const refused = await this.ctx.checkUrl(hook.url)
    if (refused) return { ok: false, error: `refused: ${refused}`, durationMs: 0 }
    const signature = await this.signatureFor(head)
    const next = this.queue[1]
    if (next) this.presigned = { seq: next.seq, secret: hook.secret, at: this.ctx.now(), headers: this.sign(next) }
    return deliverOnce(
      this.ctx.fetch,
      { url: hook.url, headers: { ...hook.headers, ...signature }, body: head.body, timeoutMs: this.ctx.timeoutMs, signal: this.abort.signal },
      () => this.ctx.now(),
    )
  }

  private async attempt(head: OutboxEntry): Promise<void> {
    const hook = this.hook
    const at = this.ctx.now()
    this.sending = head.seq
    let result: DeliveryResult
    try {
      result = await this.send(hook, head)
    } finally {
      this.sending = undefined
    }
    if (this.stopped) return
    const attempts = head.attempts + 1
    const next = nextStep(result, { attempts, createdAt: head.createdAt }, this.ctx.now(), this.ctx.policy)
    const outcome = next.kind
    const attempt: AttemptRecord = {
      webhookId: hook.id,
      messageId: head.messageId,
      topicName: head.topicName,
      attempt: attempts,
      at,
      durationMs: result.durationMs,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      outcome,
    }
    this.ctx.onOutcome?.(outcome)
    if (next.kind === 'delivered' || next.kind === 'dead') {
      this.queue.shift()
      this.queuedBytes -= utf8Length(head.body)
      if (next.kind === 'dead') this.ctx.log.warn({ webhookId: hook.id, messageId: head.messageId, attempts }, 'webhook message dead')
      const row: RowChange = next.kind === 'delivered' ? { seq: head.seq, kind: 'delivered' } : { seq: head.seq, kind: 'dead', attempts }
      this.ctx.settle({ attempt, row })
      return
    }
    head.attempts = attempts
    head.nextAttemptAt = next.kind === 'retry' ? next.atMs : 0
    this.ctx.settle({ attempt, row: { seq: head.seq, kind: 'retry', attempts, nextAttemptAt: head.nextAttemptAt } })
    if (next.kind === 'gone') {
      // Stop at once: the dispatcher persists the disabled hook and hands it back through update().
      this.hook = { ...this.hook, enabled: false, disabledReason: 'gone' }
      this.ctx.onGone(hook.id)
    }
  }

  private sleep(ms?: number): Promise<void> {
    if (this.stopped || this.replays.length > 0) return Promise.resolve()
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined
      const done = () => {
        cancel?.()
        this.wake = undefined
        resolve()
      }
      this.wake = done
      if (ms !== undefined) cancel = this.ctx.scheduler.after(ms, done)
    })
  }
}
