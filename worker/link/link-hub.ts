/**
 * The Durable Object of one home: it terminates the link, holds the queue and the last retained state, and runs
 * the same API app as the home node on a Bus over the link. Every request of the Worker lands here.
 */
import { DurableObject } from 'cloudflare:workers'
import { ConfigError } from '../../src/config.js'
import { edgeApiLimits, type EdgeSettings } from '../../src/link/edge-settings.js'
import { LINK_PATH } from '../../src/link/protocol.js'
import { LinkedActions } from '../../src/notify/linked-actions.js'
import { sha256Hex } from '../../src/util/bytes.js'
import { createEdgeApp, type EdgeApp } from '../edge-app.js'
import { EdgeQueue } from './edge-queue.js'
import { EdgeStats } from './edge-stats.js'
import type { Env } from '../env.js'
import { HubBus } from './hub-bus.js'
import { LinkServer } from './link-server.js'
import { consoleLogger } from '../log.js'
import { RetainedStore } from './retained-store.js'
import { DurableTokenStore } from '../stores/token-store.js'
import { startEdgeWebhooks, type EdgeWebhooks } from '../edge-webhooks.js'
import { AlarmScheduler } from '../alarm-scheduler.js'
import { startEdgeNotify } from '../edge-notify.js'
import type { RunningNotifyService } from '../../src/notify/notify-service.js'
import { LinkQuietWatch } from './link-quiet.js'
import { misconfigured, orConfigError, parseHubSettings, type HubSettings } from '../settings.js'

/** How long a button pressed at the edge waits for home's answer. */
const ACTION_ANSWER_TIMEOUT_MS = 5000

/**
 * Webhook retries run on timers while the object is in memory; the alarm is only the safety net that brings an
 * evicted object back for them, so it never fires sooner than this after it is set.
 */
const WEBHOOK_WAKE_MIN_MS = 30_000

export class LinkHub extends DurableObject<Env> {
  readonly queue: EdgeQueue
  readonly retainedStore: RetainedStore
  readonly stats: EdgeStats
  readonly link: LinkServer
  readonly bus: HubBus
  private readonly settings: HubSettings | ConfigError
  /** Alerts when home's link stays down (POSTBRIDGE_EDGE_LINK_QUIET); undefined when misconfigured. */
  readonly linkQuiet: LinkQuietWatch | undefined
  private app: EdgeApp | undefined
  private webhooks: EdgeWebhooks | undefined
  private notify: RunningNotifyService | undefined
  /** The notifier's timers (debounce, dead-man, retries); the hub's one alarm wakes the object for them. */
  readonly scheduler: AlarmScheduler
  private armPending = false
  /** Lets tests move the clock for expiry without waiting a day. */
  now: () => number = () => Date.now()
  /** Where alerts go out; tests put a recording fetch here (the channel boundary). */
  outboundFetch: typeof fetch = (input, init) => fetch(input, init)

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    const sql = ctx.storage.sql
    this.queue = new EdgeQueue(sql)
    this.retainedStore = new RetainedStore(sql)
    this.stats = new EdgeStats(sql)
    this.settings = orConfigError(() => parseHubSettings(env))
    this.scheduler = new AlarmScheduler({
      now: () => this.now(),
      onArmed: () => void this.scheduleAlarm().catch((err: unknown) => consoleLogger.error({ err: String(err) }, 'edge: alarm not set')),
    })
    const settings = this.settings instanceof ConfigError ? undefined : this.settings
    const quietSettings = settings?.linkQuiet
    this.link = new LinkServer({
      ctx,
      queue: this.queue,
      retained: this.retainedStore,
      stats: this.stats,
      edgeSecret: settings?.edgeSecret,
      log: consoleLogger,
      now: () => this.now(),
      ...(settings ? { ackTimeoutMs: settings.ackTimeoutMs } : {}),
      onUp: (message) => {
        this.bus.fanOut(message)
        if (this.webhooks) this.armSoon()
      },
      onLinkChange: (online) => {
        if (online) this.linkQuiet?.onLinked()
        // Linked: the alarm now also watches the link's keep-alive.
        void this.scheduleAlarm().catch((err: unknown) => consoleLogger.error({ err: String(err) }, 'edge: alarm not set'))
      },
    })
    if (quietSettings) {
      this.linkQuiet = new LinkQuietWatch({
        settings: quietSettings,
        stats: this.stats,
        isOnline: () => this.link.online() !== undefined,
        now: () => this.now(),
        newId: () => crypto.randomUUID(),
        send: (ids, alert) => {
          if (this.notify) this.notify.sendAlert(ids, alert)
          else consoleLogger.warn({ title: alert.title }, 'edge: no notifier service for the link alert')
        },
      })
      // A link lost while the object was away (a deploy or restart drops every socket unseen) is down from now.
      const linkedAt = this.stats.get('linkedAt')
      if (linkedAt !== undefined && linkedAt > (this.stats.get('unlinkedAt') ?? 0) && this.link.online() === undefined)
        this.stats.mark('unlinkedAt', this.now())
    }
    this.bus = new HubBus({
      link: this.link,
      queue: this.queue,
      retained: this.retainedStore,
      stats: this.stats,
      settings: settings ?? { queueMax: 1, queueMaxAgeMs: 1, ackTimeoutMs: 1 },
      now: () => this.now(),
      newId: () => crypto.randomUUID(),
      scheduleAlarm: () => this.scheduleAlarm(),
    })
    if (settings) {
      // Before any event: the dispatcher must be subscribed when the first message comes up after a wake.
      void ctx.blockConcurrencyWhile(async () => {
        try {
          this.webhooks = await startEdgeWebhooks({ storage: ctx.storage, bus: this.bus, settings, log: consoleLogger, now: () => this.now() })
        } catch (err) {
          // A throw here would reset the object on every event; the link and the API go on, /v1/webhooks answers 501.
          consoleLogger.error({ err: err instanceof Error ? err.stack : String(err) }, 'edge: webhooks did not start')
        }
        try {
          // Also before any event, and it ticks every sensor first: a heartbeat that ran out while the object was
          // away fires `silent` now.
          this.notify = await startEdgeNotify({
            storage: ctx.storage,
            bus: this.bus,
            scheduler: this.scheduler,
            env,
            fetch: (input, init) => this.outboundFetch(input, init),
            log: consoleLogger,
            now: () => this.now(),
          })
        } catch (err) {
          // As for webhooks: the link and the rest of the API go on, /v1/sensors and /v1/notifiers answer 501.
          consoleLogger.error({ err: err instanceof Error ? err.stack : String(err) }, 'edge: door-sensor alerts did not start')
        }
      })
    }
  }

  override async fetch(request: Request): Promise<Response> {
    if (this.settings instanceof ConfigError) return misconfigured(this.settings)
    if (new URL(request.url).pathname === LINK_PATH) return this.link.accept(request)
    return (await this.appFor(this.settings)).fetch(request)
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.link.onFrame(ws, message)
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.link.onClose(ws)
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    consoleLogger.warn({ err: String(error) }, 'link: socket error')
    this.link.onClose(ws)
  }

  /**
   * The one alarm handler for all due work: drops what expired, sends what can go, runs the notifier's due timers
   * (and waits for the alerts they send, so an evicted object does not drop them), then sets the next alarm.
   */
  override async alarm(): Promise<void> {
    this.link.enforceKeepAlive()
    this.link.dropExpired()
    this.link.pump()
    this.scheduler.runDue(this.now())
    this.linkQuiet?.check()
    await this.notify?.settled()
    await this.scheduleAlarm()
  }

  /**
   * The alarm fires when the oldest queued message expires, so expiry happens even with nobody asking; it brings
   * the object back for webhook deliveries that wait in the outbox, and for the notifier's next timer (a dead-man
   * deadline must fire with no request arriving).
   */
  async scheduleAlarm(): Promise<void> {
    const candidates = [this.queue.nextExpiry(), this.scheduler.nextDue(), this.linkQuiet?.nextDue(), this.link.keepAliveDeadline()]
    const webhookDue = this.webhooks?.store.nextDue()
    if (webhookDue !== undefined) candidates.push(Math.max(webhookDue, this.now() + WEBHOOK_WAKE_MIN_MS))
    const times = candidates.filter((t): t is number => t !== undefined)
    if (times.length === 0) return
    const next = Math.min(...times)
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > next) await this.ctx.storage.setAlarm(next)
  }

  /** Sets the alarm a moment after messages came up, once the dispatcher has written their outbox rows. */
  private armSoon(): void {
    if (this.armPending) return
    this.armPending = true
    this.ctx.waitUntil(
      new Promise<void>((resolve) => setTimeout(resolve, 1000)).then(async () => {
        this.armPending = false
        await this.scheduleAlarm()
      }),
    )
  }

  /** The link's state for /v1/health. */
  linkHealth(): Record<string, unknown> {
    const home = this.link.state()
    const online = home !== 'offline'
    const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString())
    const oldest = this.queue.oldestQueuedAt()
    return {
      home,
      since: iso(online ? this.link.onlineSince() : this.stats.get('unlinkedAt')),
      lastRefusedAt: iso(this.stats.get('refusedAt')),
      queued: this.queue.count(),
      oldestQueuedAgeMs: oldest === undefined ? undefined : this.now() - oldest,
      retained: this.retainedStore.count(),
      messagesUp: this.link.messagesUp,
      messagesDown: this.link.messagesDown,
      ...this.stats.counters(),
    }
  }

  private async appFor(settings: EdgeSettings): Promise<EdgeApp> {
    if (this.app) return this.app
    const adminHash = settings.adminToken ? await sha256Hex(settings.adminToken) : undefined
    this.app ??= createEdgeApp({
      bus: this.bus,
      tokens: new DurableTokenStore(this.ctx.storage),
      settings,
      log: consoleLogger,
      now: () => this.now(),
      defer: (task) => this.ctx.waitUntil(task),
      adminHash,
      features: {
        ...(this.webhooks ? { webhooks: this.webhooks.dispatcher.service } : {}),
        ...(this.notify ? { notify: this.notify } : {}),
        // Alert buttons of home's alerts, when they link here: home holds the tokens and answers over the link.
        actions: new LinkedActions({ bus: this.bus, timeoutMs: ACTION_ANSWER_TIMEOUT_MS, log: consoleLogger }),
      },
      // The health route lets `status` here override its own: "degraded" while home is offline (the edge still queues).
      health: () => {
        const link = this.linkHealth()
        return { status: link.home === 'online' ? 'ok' : 'degraded', link }
      },
    })
    return this.app
  }
}
