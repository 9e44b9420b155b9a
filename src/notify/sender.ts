/** Delivers alerts: one attempt per request, retries with backoff, a per-channel rate limit, every attempt recorded. */
import type { Logger } from '../ports/logger.js'
import { checkWebhookUrl, type UrlPolicy } from '../webhooks/url-policy.js'
import { parseRetryAfter } from '../http/retry-after.js'
import { DEFAULT_RETRY, isRetryableStatus, retryDelayMs, type RetryPolicy } from './backoff.js'
import { buildRequest } from './channels/index.js'
import type { NotifierSpec } from './config.js'
import { summaryAlert } from './format.js'
import type { Alert } from './model.js'
import type { AttemptResult, DeliveryOutcome, NotifierStore } from './ports.js'
import type { Scheduler } from '../ports/scheduler.js'
import type { UtcOffset } from './quiet-hours.js'
import { admit, emptyWindow, summaryDueAt, takeHeld, type RateWindow } from './rate-limit.js'

/** Providers answer in well under a second; a hung connection must not hold an alert forever. */
const DEFAULT_TIMEOUT_MS = 15_000

export interface SenderOptions {
  fetch: typeof fetch
  now(): number
  scheduler: Scheduler
  store: Pick<NotifierStore, 'recordDelivery'>
  log: Logger
  offset: UtcOffset
  newId(): string
  /** The notifier as it is now, secrets resolved; undefined once deleted (pending retries then stop). */
  notifier(id: string): Promise<NotifierSpec | undefined>
  retry?: Partial<RetryPolicy>
  random?(): number
  timeoutMs?: number
  /** Checked before every request: a refused URL fails the attempt without sending (src/notify/url-check.ts). */
  urlPolicy?: UrlPolicy
}

export class AlertSender {
  private readonly retry: RetryPolicy
  private readonly windows = new Map<string, RateWindow>()
  private readonly summaryTimers = new Map<string, () => void>()
  private readonly timers = new Set<() => void>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private closed = false

  constructor(private readonly o: SenderOptions) {
    this.retry = { ...DEFAULT_RETRY, ...o.retry }
  }

  /** Queues the alert on a channel; returns at once. Delivery, retries and records happen in the background. */
  send(notifierId: string, alert: Alert, eventId?: string): void {
    this.track(this.admitAndDeliver(notifierId, alert, eventId))
  }

  /** One attempt, outside the rate limit: what `POST /v1/notifiers/{id}/test` reports. */
  async attempt(notifier: NotifierSpec, alert: Alert): Promise<AttemptResult> {
    let request: Request
    try {
      request = await buildRequest(notifier, alert, this.o.now())
    } catch (err) {
      return { ok: false, retryable: false, error: err instanceof Error ? err.message : String(err) }
    }
    const refused = this.o.urlPolicy ? await checkWebhookUrl(request.url, this.o.urlPolicy) : undefined
    if (refused) return { ok: false, retryable: false, error: `refused: ${refused}` }
    try {
      const res = await this.o.fetch(request, { signal: AbortSignal.timeout(this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS) })
      if (res.ok) {
        await res.body?.cancel()
        return { ok: true, status: res.status, retryable: false }
      }
      // The provider's explanation ("invalid token", "chat not found") is what the user needs to fix it.
      const text = (await res.text().catch(() => '')).slice(0, 300)
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.o.now())
      return {
        ok: false,
        status: res.status,
        error: text || res.statusText || `HTTP ${res.status}`,
        retryable: isRetryableStatus(res.status),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      }
    } catch (err) {
      return { ok: false, retryable: true, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
    }
  }

  /** Waits for deliveries under way (not for scheduled retries). For tests and an orderly shutdown. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Cancels scheduled retries and summaries; alerts not yet delivered are dropped (and were recorded as retrying). */
  close(): void {
    this.closed = true
    for (const cancel of [...this.timers, ...this.summaryTimers.values()]) cancel()
    this.timers.clear()
    this.summaryTimers.clear()
  }

  private track(task: Promise<unknown>): void {
    const guarded = task.catch((err) => this.o.log.error({ err: String(err) }, 'alert delivery failed unexpectedly'))
    this.inFlight.add(guarded)
    void guarded.finally(() => this.inFlight.delete(guarded))
  }

  private later(whenMs: number, task: () => Promise<void>): () => void {
    const cancel = this.o.scheduler.after(Math.max(0, whenMs - this.o.now()), () => {
      this.timers.delete(cancel)
      if (!this.closed) this.track(task())
    })
    this.timers.add(cancel)
    return cancel
  }

  private async admitAndDeliver(notifierId: string, alert: Alert, eventId?: string): Promise<void> {
    const notifier = await this.o.notifier(notifierId)
    if (!notifier) return
    const now = this.o.now()
    await this.flushSummary(notifier)
    const { allowed, window } = admit(this.windows.get(notifierId) ?? emptyWindow(), alert, now, notifier.rateLimit)
    this.windows.set(notifierId, window)
    if (!allowed) {
      await this.record(notifierId, alert, eventId, 0, 'held', {
        ok: false,
        retryable: false,
        error: `rate limit of ${notifier.rateLimit}/hour reached`,
      })
      this.scheduleSummary(notifierId, window)
      return
    }
    await this.deliver(notifierId, alert, eventId, 1)
  }

  private scheduleSummary(notifierId: string, window: RateWindow): void {
    const due = summaryDueAt(window)
    if (due === undefined || this.summaryTimers.has(notifierId)) return
    const cancel = this.o.scheduler.after(Math.max(0, due - this.o.now()), () => {
      this.summaryTimers.delete(notifierId)
      if (this.closed) return
      this.track(
        this.o.notifier(notifierId).then(async (n) => {
          if (!n) return
          await this.flushSummary(n)
          // Still no room (the window moved less than expected): look again when the next send expires.
          this.scheduleSummary(notifierId, this.windows.get(notifierId) ?? emptyWindow())
        }),
      )
    })
    this.summaryTimers.set(notifierId, cancel)
  }

  /** Sends the summary of held alerts when the window has room for it. */
  private async flushSummary(notifier: NotifierSpec): Promise<void> {
    const window = this.windows.get(notifier.id)
    if (!window) return
    const now = this.o.now()
    const taken = takeHeld(window, now, notifier.rateLimit)
    if (!taken) return
    this.windows.set(notifier.id, taken.window)
    const summary = summaryAlert(taken.held, taken.count, notifier.rateLimit, now, this.o.offset, this.o.newId())
    await this.deliver(notifier.id, summary, undefined, 1)
  }

  private async deliver(notifierId: string, alert: Alert, eventId: string | undefined, attempt: number): Promise<void> {
    const notifier = await this.o.notifier(notifierId)
    if (!notifier) return
    const result = await this.attempt(notifier, alert)
    if (result.ok) {
      await this.record(notifierId, alert, eventId, attempt, 'sent', result)
      this.o.log.info({ notifierId, alertId: alert.id, title: alert.title, attempt, status: result.status }, 'alert sent')
      return
    }
    if (result.retryable && attempt < this.retry.maxAttempts && !this.closed) {
      const delay = retryDelayMs(attempt, this.retry, (this.o.random ?? Math.random)(), result.retryAfterMs)
      await this.record(notifierId, alert, eventId, attempt, 'retrying', result, delay)
      this.later(this.o.now() + delay, () => this.deliver(notifierId, alert, eventId, attempt + 1))
      return
    }
    await this.record(notifierId, alert, eventId, attempt, 'failed', result)
    this.o.log.warn({ notifierId, alertId: alert.id, attempt, status: result.status, error: result.error }, 'alert not delivered')
  }

  private async record(
    notifierId: string,
    alert: Alert,
    eventId: string | undefined,
    attempt: number,
    outcome: DeliveryOutcome,
    result: AttemptResult,
    retryInMs?: number,
  ): Promise<void> {
    await this.o.store.recordDelivery({
      id: this.o.newId(),
      notifierId,
      alertId: alert.id,
      title: alert.title,
      ...(eventId ? { eventId } : {}),
      attempt,
      at: this.o.now(),
      outcome,
      ok: result.ok,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    })
  }
}
