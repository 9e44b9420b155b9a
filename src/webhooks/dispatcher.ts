/**
 * The webhook runtime, the same on every runtime: subscribes through the Bus to the filters of enabled webhooks,
 * appends each matching message to the outbox (a message is accepted for a hook once its row is committed), and
 * runs one DeliveryLane per webhook. On start the lanes pick up what the outbox still holds.
 */
import type { Message } from '../ports/types.js'
import type { Bus } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import type { MetricLine } from '../ports/metrics.js'
import { DEFAULT_BACKOFF } from './backoff.js'
import { renderWebhookBody, webhookMessageId } from './body.js'
import type { WebhooksConfig } from './config.js'
import { syncDeclaredHooks } from './config-sync.js'
import { DeliveryLane, type LaneContext } from './lane.js'
import type { AttemptOutcome, EnqueueResult, Resolver, TestResult, WebhookRecord, WebhookService, WebhookStore } from './ports.js'
import type { Scheduler } from '../ports/scheduler.js'
import type { RetryPolicy } from './retry.js'
import { timerScheduler } from '../scheduler.js'
import { createWebhookService } from './service.js'
import { SettleWriter } from './settle-writer.js'
import { FilterSubscriptions } from './subscriptions.js'
import { sendTestMessage } from './test-message.js'
import { checkWebhookUrl, type UrlPolicy } from './url-policy.js'

export interface DispatcherOptions {
  bus: Bus
  store: WebhookStore
  fetch: typeof fetch
  now(): number
  log: Logger
  config: WebhooksConfig
  scheduler?: Scheduler
  /** Node passes dns.lookup; without it only literal addresses are checked. */
  resolve?: Resolver
  random?: () => number
  /** Where the `env:NAME` secrets of declared hooks are looked up (process.env on Node, bindings on the Worker). */
  env?: Record<string, string | undefined>
  /** Rows a lane keeps in memory (default 500); more wait in the store and are read when these are sent. */
  laneBuffer?: number
  /** Body bytes a lane keeps in memory (default 1 MiB; one row always); more wait in the store, as with laneBuffer. */
  laneBufferBytes?: number
  /** How this runtime spells the setting that allows private targets, for refusals (UrlPolicy.allowPrivateSetting). */
  allowPrivateSetting?: string
}

export interface WebhookDispatcher {
  /** Goes into Deps.webhooks for the /v1/webhooks routes. */
  service: WebhookService
  /** Counters for /metrics. */
  metricLines(): MetricLine[]
  /** Stops lanes (in-flight attempts are aborted and sent again after a restart), unsubscribes, writes what is queued. */
  close(): Promise<void>
}

/** What a lane holds in memory by default: a burst's worth of rows, and a quarter of a full outbox's bytes (webhooks.maxOutboxBytes is 4 MiB). */
const LANE_BUFFER_ROWS = 500
const LANE_BUFFER_BYTES = 1024 * 1024
/** How long a delivery-time URL check (with its DNS lookup) is reused. */
const URL_CHECK_TTL_MS = 60_000
/** Attempts kept per webhook in the log; older ones are pruned every PRUNE_EVERY_MS. */
const KEEP_ATTEMPTS = 1000
const PRUNE_EVERY_MS = 10 * 60_000

export class Dispatcher {
  readonly hooks = new Map<string, WebhookRecord>()
  private readonly lanes = new Map<string, DeliveryLane>()
  /** Hooks by topic filter, disabled ones included (their messages wait): one Bus subscription per distinct filter. */
  private byFilter = new Map<string, WebhookRecord[]>()
  private readonly subscriptions: FilterSubscriptions
  private readonly writer: SettleWriter
  private readonly laneContext: LaneContext
  private readonly urlChecks = new Map<string, { reason: string | undefined; until: number }>()
  private readonly counters = { matched: 0, enqueueErrors: 0, evicted: 0, delivered: 0, retry: 0, dead: 0, gone: 0, test: 0 }
  private cancelPrune: (() => void) | undefined
  private closed = false
  readonly urlPolicy: UrlPolicy

  constructor(readonly options: DispatcherOptions) {
    const { config } = options
    this.urlPolicy = {
      allowPrivate: config.allowPrivate,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      ...(options.allowPrivateSetting ? { allowPrivateSetting: options.allowPrivateSetting } : {}),
    }
    this.writer = new SettleWriter(options.store, options.log)
    this.subscriptions = new FilterSubscriptions(options.bus, options.log, (filter, m) => this.onMessage(filter, m))
    const policy: RetryPolicy = {
      maxAttempts: config.maxAttempts,
      maxAgeMs: config.maxAge,
      backoff: { ...DEFAULT_BACKOFF, baseMs: config.retryBase },
      random: options.random ?? Math.random,
    }
    this.laneContext = {
      store: options.store,
      fetch: options.fetch,
      now: options.now,
      scheduler: options.scheduler ?? timerScheduler,
      log: options.log,
      policy,
      timeoutMs: config.timeout,
      bufferLimit: options.laneBuffer ?? LANE_BUFFER_ROWS,
      bufferBytes: options.laneBufferBytes ?? LANE_BUFFER_BYTES,
      checkUrl: (url) => this.checkUrlCached(url),
      settle: (s) => this.writer.push(s),
      flushSettlements: () => this.writer.flush(),
      onGone: (id) => void this.disableGone(id),
      onOutcome: (outcome) => this.counters[outcome]++,
    }
  }

  async start(): Promise<void> {
    const { store, config, now, env } = this.options
    await syncDeclaredHooks(store, config.hooks, { env: env ?? {}, now: now(), urlPolicy: this.urlPolicy })
    await Promise.all((await store.listWebhooks()).map((hook) => this.apply(hook)))
    this.schedulePrune()
  }

  /** Takes a new or changed hook into the running dispatcher; resolves once its filter is subscribed. */
  apply(hook: WebhookRecord): Promise<void> {
    this.hooks.set(hook.id, hook)
    const lane = this.lanes.get(hook.id)
    if (lane) lane.update(hook)
    else this.lanes.set(hook.id, new DeliveryLane(hook, this.laneContext))
    return this.reindex()
  }

  /** Stops the lane (aborting an attempt in flight) and deletes the hook with its outbox. */
  async remove(id: string): Promise<boolean> {
    this.hooks.delete(id)
    const lane = this.lanes.get(id)
    this.lanes.delete(id)
    await this.reindex()
    await lane?.stop()
    await this.writer.flush()
    return this.options.store.deleteWebhook(id)
  }

  async replay(id: string): Promise<number> {
    const lane = this.lanes.get(id)
    return lane ? lane.replay() : this.options.store.requeue(id, this.options.now())
  }

  /** Sends a test message now, outside the outbox and its order, and logs the attempt. */
  async test(hook: WebhookRecord): Promise<TestResult> {
    const { result, attempt } = await sendTestMessage(hook, {
      fetch: this.options.fetch,
      now: this.options.now,
      urlPolicy: this.urlPolicy,
      timeoutMs: this.options.config.timeout,
    })
    this.counters.test++
    this.writer.push({ attempt })
    await this.writer.flush()
    return {
      ok: result.ok,
      durationMs: result.durationMs,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    }
  }

  metricLines(): MetricLine[] {
    const c = this.counters
    const attempts = (outcome: AttemptOutcome, value: number): MetricLine => ({
      name: 'postbridge_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome.',
      type: 'counter',
      value,
      labels: { outcome },
    })
    let backlog = 0
    let backlogBytes = 0
    for (const lane of this.lanes.values()) {
      backlog += lane.backlog
      backlogBytes += lane.backlogBytes
    }
    return [
      {
        name: 'postbridge_webhook_messages_matched_total',
        help: 'Messages appended to the webhook outbox (one per matching webhook).',
        type: 'counter',
        value: c.matched,
      },
      { name: 'postbridge_webhook_enqueue_errors_total', help: 'Outbox writes that failed.', type: 'counter', value: c.enqueueErrors },
      {
        name: 'postbridge_webhook_outbox_evicted_total',
        help: 'Pending messages that went to dead because their webhook outbox passed webhooks.maxOutboxBytes.',
        type: 'counter',
        value: c.evicted,
      },
      attempts('delivered', c.delivered),
      attempts('retry', c.retry),
      attempts('dead', c.dead),
      attempts('gone', c.gone),
      attempts('test', c.test),
      { name: 'postbridge_webhooks', help: 'Webhooks, enabled or not.', type: 'gauge', value: this.hooks.size },
      {
        name: 'postbridge_webhook_backlog',
        help: 'Outbox rows held in memory by the lanes (more may wait in the store).',
        type: 'gauge',
        value: backlog,
      },
      {
        name: 'postbridge_webhook_backlog_bytes',
        help: 'Message body bytes held in memory by the lanes (more may wait in the store).',
        type: 'gauge',
        value: backlogBytes,
      },
    ]
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.cancelPrune?.()
    this.byFilter = new Map()
    await this.subscriptions.close()
    await Promise.all([...this.lanes.values()].map((lane) => lane.stop()))
    await this.writer.flush()
  }

  /**
   * Called by the Bus: appends one row per matching enabled hook, in one store call made before returning. With a
   * store that commits inside the call (SQLite), the rows are durable before the Bus acknowledges the message (PUBACK,
   * or the 200 of an HTTP publish): nothing acknowledged can be missing from the outbox after a crash.
   */
  private onMessage(topicFilter: string, message: Message): void {
    const hooks = this.byFilter.get(topicFilter)
    if (!hooks || hooks.length === 0) return
    const receivedAt = this.options.now()
    const messageId = webhookMessageId(message, receivedAt)
    const body = renderWebhookBody(message, messageId, receivedAt)
    const rows = hooks.map((hook) => ({ webhookId: hook.id, messageId, topicName: message.topic, body, createdAt: receivedAt }))
    this.counters.matched += rows.length
    let appended: Promise<EnqueueResult>
    try {
      appended = this.options.store.enqueue(rows, { maxBytesPerHook: this.options.config.maxOutboxBytes, now: receivedAt })
    } catch (err) {
      appended = Promise.reject(err)
    }
    appended.then(
      ({ entries, evicted }) => {
        for (const entry of entries) this.lanes.get(entry.webhookId)?.accept(entry)
        if (evicted.length === 0) return
        this.counters.evicted += evicted.length
        const byHook = new Map<string, Set<number>>()
        for (const { webhookId, seq } of evicted) byHook.set(webhookId, (byHook.get(webhookId) ?? new Set()).add(seq))
        for (const [webhookId, seqs] of byHook) {
          this.lanes.get(webhookId)?.evict(seqs)
          this.options.log.warn(
            { webhookId, count: seqs.size, maxOutboxBytes: this.options.config.maxOutboxBytes },
            'webhook outbox full: oldest messages went to dead',
          )
        }
      },
      (err: unknown) => {
        this.counters.enqueueErrors += rows.length
        this.options.log.error({ err: err instanceof Error ? err.message : String(err), count: rows.length }, 'cannot append to the webhook outbox')
      },
    )
  }

  private async disableGone(id: string): Promise<void> {
    const hook = this.hooks.get(id)
    if (!hook) return
    const disabled: WebhookRecord = { ...hook, enabled: false, disabledReason: 'gone', updatedAt: this.options.now() }
    this.options.log.warn({ webhookId: id, url: hook.url }, 'webhook receiver answered 410 Gone: webhook disabled')
    try {
      await this.options.store.putWebhook(disabled)
    } catch (err) {
      this.options.log.error({ webhookId: id, err: String(err) }, 'cannot store the disabled webhook')
    }
    if (this.hooks.has(id)) await this.apply(disabled)
  }

  private async checkUrlCached(url: string): Promise<string | undefined> {
    const now = this.options.now()
    const cached = this.urlChecks.get(url)
    if (cached && cached.until > now) return cached.reason
    const reason = await checkWebhookUrl(url, this.urlPolicy)
    if (this.urlChecks.size > 10_000) this.urlChecks.clear()
    this.urlChecks.set(url, { reason, until: now + URL_CHECK_TTL_MS })
    return reason
  }

  /** Rebuilds the filter index now; resolves once the Bus subscriptions follow it. */
  private reindex(): Promise<void> {
    if (this.closed) return Promise.resolve()
    const byFilter = new Map<string, WebhookRecord[]>()
    // Disabled hooks keep matching: their messages wait in the outbox (bounded by maxOutboxBytes) until re-enabled.
    for (const hook of this.hooks.values()) {
      const list = byFilter.get(hook.topicFilter)
      if (list) list.push(hook)
      else byFilter.set(hook.topicFilter, [hook])
    }
    this.byFilter = byFilter
    return this.subscriptions.follow(byFilter.keys())
  }

  private schedulePrune(): void {
    if (this.closed) return
    void this.options.store.prune(KEEP_ATTEMPTS).catch((err: unknown) => this.options.log.warn({ err: String(err) }, 'cannot prune webhook attempts'))
    this.cancelPrune = this.laneContext.scheduler.after(PRUNE_EVERY_MS, () => this.schedulePrune())
  }
}

/** Starts delivery: syncs the hooks declared in the config, resumes the outbox, subscribes. Fails on a bad declared hook. */
export async function startWebhookDispatcher(options: DispatcherOptions): Promise<WebhookDispatcher> {
  const dispatcher = new Dispatcher(options)
  try {
    await dispatcher.start()
  } catch (err) {
    await dispatcher.close()
    throw err
  }
  return {
    service: createWebhookService(dispatcher),
    metricLines: () => dispatcher.metricLines(),
    close: () => dispatcher.close(),
  }
}
