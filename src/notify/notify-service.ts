/**
 * The door-sensor notifier: loads sensors and notifiers (config file first, then the API's own), watches the
 * sensors, turns their events into alerts, and answers the /v1/sensors and /v1/notifiers routes.
 */
import { ConfigError } from '../config.js'
import { errConflict, errInvalidRequest, errDeclaredInConfig, errNotFound, errNotifierInUse, errUrlRefused } from '../errors.js'
import type { UrlPolicy } from '../webhooks/url-policy.js'
import { checkNotifierUrls } from './url-check.js'
import type { Bus } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import type { RetryPolicy } from './backoff.js'
import type { NotifierSpec, SensorSpec } from './config.js'
import { alertFor, testAlert } from './format.js'
import type { Alert, SensorEvent } from './model.js'
import type { AttemptResult, HistoryQuery, NotifierRecord, NotifierStore, NotifyService, SensorRecord, SensorStore, SensorView } from './ports.js'
import type { Scheduler } from '../ports/scheduler.js'
import { localUtcOffset, type UtcOffset } from './quiet-hours.js'
import { resolveSecrets, secretEnvNames, secretProblems, type Env } from './secrets.js'
import { maySecretEnv } from '../config/atoms.js'
import { syncDeclared, type DeclaredEntryStore, type SyncedEntry } from '../config/sync-declared.js'
import { AlertSender } from './sender.js'
import type { ActionService } from './actions.js'
import { TelegramActionPoller } from './telegram-actions.js'
import { SensorMonitor } from './sensor-monitor.js'
import { deliveryView, eventView, notifierView, sensorView } from './views.js'

export interface NotifyServiceOptions {
  bus: Bus
  sensors: SensorStore
  notifiers: NotifierStore
  scheduler: Scheduler
  now(): number
  fetch: typeof fetch
  log: Logger
  /** Where `env:NAME` secrets are read (process.env at home, bindings on the Worker). */
  env: Env
  /** Which URLs notifiers may post to (the webhook URL policy); every URL when absent. */
  urlPolicy?: UrlPolicy
  /** The `sensors` and `notifiers` sections of the config file. */
  config?: { sensors: SensorSpec[]; notifiers: NotifierSpec[] }
  /** Local time for quiet hours and alert texts; the process time zone unless given. */
  utcOffset?: UtcOffset
  newId?(): string
  retry?: Partial<RetryPolicy>
  random?(): number
  /** Told of every change to a sensor's state or definition, e.g. to mirror it to Home Assistant. */
  observer?: SensorObserver
  /** Mints the single-use URLs of alert buttons; without it alerts carry no buttons. */
  actions?: ActionService
}

export interface SensorObserver {
  changed(view: SensorView): void
  removed(sensorId: string): void
}

export interface RunningNotifyService extends NotifyService {
  /**
   * Sends an alert that no sensor raised (the edge's "home link is down") through these notifiers, with their rate
   * limits and retries like any other; unknown ids are logged and skipped, since they may be created later.
   */
  sendAlert(notifierIds: string[], alert: Alert): void
  /** Waits until queued sensor updates and alert deliveries under way are done (not scheduled retries). For tests. */
  settled(): Promise<void>
  close(): Promise<void>
}

function checkConfig(config: NonNullable<NotifyServiceOptions['config']>, known: Set<string>, env: Env): void {
  const problems: string[] = []
  config.notifiers.forEach((n, i) => {
    for (const p of secretProblems(n, env)) problems.push(`notifiers.${i}.${p.field}: ${p.message}`)
  })
  config.sensors.forEach((s, i) => {
    s.notify.forEach((id, j) => {
      if (!known.has(id)) problems.push(`sensors.${i}.notify.${j}: unknown notifier "${id}"`)
    })
  })
  if (problems.length > 0) throw new ConfigError(problems)
}

/** The declared entries through the one config sync (src/config/sync-declared.ts); an API-made one with the id is replaced. */
function syncFromConfig<T extends { id: string }, R extends T & SyncedEntry>(
  store: DeclaredEntryStore<R>,
  specs: T[],
  now: number,
  log: Logger,
  what: string,
): Promise<void> {
  return syncDeclared(store, specs, now, (spec, old) => {
    if (old?.source === 'api') log.warn({ id: spec.id }, `${what} from the config file replaces the one created through the API`)
    return spec as unknown as Omit<R, 'source' | 'createdAt' | 'updatedAt'>
  })
}

export async function startNotifyService(o: NotifyServiceOptions): Promise<RunningNotifyService> {
  const newId = o.newId ?? (() => crypto.randomUUID())
  const offset = o.utcOffset ?? localUtcOffset
  const config = o.config ?? { sensors: [], notifiers: [] }
  // `env:NAME` reads only POSTBRIDGE_SECRET_* and the variables the config file references: a notifier made through
  // the API must not send POSTBRIDGE_ADMIN_TOKEN (or any other variable of the host) to a server its maker controls.
  const listedInFile = new Set(config.notifiers.flatMap(secretEnvNames))
  const mayRead = (name: string) => maySecretEnv(name, listedInFile)
  const env: Env = new Proxy({} as Env, { get: (_target, name) => (typeof name === 'string' && mayRead(name) ? o.env[name] : undefined) })

  const apiNotifierIds = (await o.notifiers.list()).filter((n) => n.source === 'api').map((n) => n.id)
  checkConfig(config, new Set([...config.notifiers.map((n) => n.id), ...apiNotifierIds]), env)
  await syncFromConfig(o.notifiers, config.notifiers, o.now(), o.log, 'notifier')
  await syncFromConfig(o.sensors, config.sensors, o.now(), o.log, 'sensor')

  const notifiers = new Map((await o.notifiers.list()).map((n) => [n.id, n]))
  const sensors = new Map((await o.sensors.list()).map((s) => [s.id, s]))

  const sender = new AlertSender({
    fetch: o.fetch,
    now: o.now,
    scheduler: o.scheduler,
    store: o.notifiers,
    log: o.log,
    offset,
    newId,
    notifier: async (id) => {
      const n = notifiers.get(id)
      if (!n) return undefined
      try {
        return resolveSecrets(n, env)
      } catch (err) {
        o.log.error({ notifierId: id, err: String(err) }, 'notifier secret unavailable')
        return undefined
      }
    },
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.random ? { random: o.random } : {}),
    ...(o.urlPolicy ? { urlPolicy: o.urlPolicy } : {}),
  })

  const send = async (sensor: SensorRecord, event: SensorEvent) => {
    const alert = alertFor(sensor, event, offset, newId())
    // One set of buttons per alert, whatever carries it: the first press on any phone uses it.
    if (o.actions && sensor.actions?.length && sensor.notify.length > 0) {
      const actions = await o.actions.issue(sensor.id, sensor.actions, event.kind, alert.id)
      if (actions.length > 0) alert.actions = actions
    }
    for (const notifierId of sensor.notify) {
      if (notifiers.has(notifierId)) sender.send(notifierId, alert, event.id)
      else o.log.warn({ sensorId: sensor.id, notifierId }, 'sensor names a notifier that does not exist')
    }
  }
  // Alerts leave in the order their events happened, also while buttons are being minted.
  let sending: Promise<void> = Promise.resolve()
  const dispatch = (sensor: SensorRecord, events: SensorEvent[]) => {
    for (const event of events) {
      o.log.info({ sensorId: sensor.id, kind: event.kind, at: event.at }, 'sensor event')
      if (sensor.alertOn && !sensor.alertOn.includes(event.kind)) continue
      sending = sending
        .then(() => send(sensor, event))
        .catch((err) => o.log.error({ sensorId: sensor.id, err: err instanceof Error ? err.message : String(err) }, 'alert not sent'))
    }
  }

  // Telegram buttons come back through getUpdates: poll for each bot that some sensor's buttons go to.
  const pollers = new Map<string, TelegramActionPoller>()
  const pollButtonsOf = (sensor: SensorRecord) => {
    if (!o.actions || !sensor.actions?.length) return
    for (const id of sensor.notify) {
      const n = notifiers.get(id)
      if (n?.type !== 'telegram' || pollers.has(id)) continue
      try {
        const resolved = resolveSecrets(n, o.env)
        if (resolved.type !== 'telegram') continue
        const poller = new TelegramActionPoller({ notifier: resolved, actions: o.actions, fetch: o.fetch, log: o.log })
        pollers.set(id, poller)
        poller.start()
      } catch (err) {
        o.log.error({ notifierId: id, err: String(err) }, 'telegram buttons unavailable: notifier secret missing')
      }
    }
  }
  for (const sensor of sensors.values()) pollButtonsOf(sensor)

  const monitor = new SensorMonitor({
    bus: o.bus,
    store: o.sensors,
    scheduler: o.scheduler,
    now: o.now,
    log: o.log,
    newId,
    onEvents: dispatch,
    onState: (sensor) => o.observer?.changed(viewOf(sensor)),
  })
  // A declaration, not a const: the monitor reports states while watch() below runs.
  function viewOf(s: SensorRecord): SensorView {
    return sensorView(s, monitor.state(s.id), o.now())
  }
  for (const sensor of sensors.values()) await monitor.watch(sensor)

  const sensorOf = (id: string): SensorRecord => {
    const s = sensors.get(id)
    if (!s) throw errNotFound.with(`no sensor "${id}"`)
    return s
  }
  const notifierOf = (id: string): NotifierRecord => {
    const n = notifiers.get(id)
    if (!n) throw errNotFound.with(`no notifier "${id}"`)
    return n
  }
  const checkNotifyIds = (spec: SensorSpec) => {
    const unknown = spec.notify.filter((id) => !notifiers.has(id))
    if (unknown.length > 0) throw errInvalidRequest.with(`notify: unknown notifier ${unknown.map((u) => `"${u}"`).join(', ')}`)
  }
  const checkUrls = async (spec: NotifierSpec) => {
    const refused = o.urlPolicy ? await checkNotifierUrls(spec, o.urlPolicy) : undefined
    if (refused) throw errUrlRefused.with(refused)
  }
  const checkSecrets = (spec: NotifierSpec) => {
    const problems = secretProblems(spec, env, mayRead)
    if (problems.length > 0) throw errInvalidRequest.with(problems.map((p) => `${p.field}: ${p.message}`).join('; '))
  }
  const checkPathId = (id: string, spec: { id: string }) => {
    if (spec.id !== id) throw errInvalidRequest.with(`id: "${spec.id}" does not match the path ("${id}")`)
  }

  const putSensor = async (spec: SensorSpec, createdAt: number) => {
    const record: SensorRecord = { ...spec, source: 'api', createdAt, updatedAt: o.now() }
    await o.sensors.put(record)
    sensors.set(record.id, record)
    pollButtonsOf(record)
    await monitor.watch(record)
    const view = viewOf(record)
    o.observer?.changed(view)
    return view
  }
  const putNotifier = async (spec: NotifierSpec, createdAt: number) => {
    const record: NotifierRecord = { ...spec, source: 'api', createdAt, updatedAt: o.now() }
    await o.notifiers.put(record)
    notifiers.set(record.id, record)
    return notifierView(record)
  }

  return {
    async listSensors() {
      return [...sensors.values()].sort((a, b) => a.id.localeCompare(b.id)).map(viewOf)
    },
    async getSensor(id) {
      return viewOf(sensorOf(id))
    },
    async createSensor(spec) {
      if (sensors.has(spec.id)) throw errConflict.with(`sensor "${spec.id}" exists`)
      checkNotifyIds(spec)
      return putSensor(spec, o.now())
    },
    async replaceSensor(id, spec) {
      checkPathId(id, spec)
      const old = sensorOf(id)
      if (old.source === 'config') throw errDeclaredInConfig.with(`sensor "${id}" is declared in the config file; change it there`)
      checkNotifyIds(spec)
      return putSensor(spec, old.createdAt)
    },
    async deleteSensor(id) {
      if (sensorOf(id).source === 'config') throw errDeclaredInConfig.with(`sensor "${id}" is declared in the config file; remove it there`)
      await monitor.unwatch(id)
      sensors.delete(id)
      await o.sensors.remove(id)
      o.observer?.removed(id)
    },
    async sensorEvents(id, query: HistoryQuery) {
      sensorOf(id)
      return (await o.sensors.events(id, query)).map(eventView)
    },
    async listNotifiers() {
      return [...notifiers.values()].sort((a, b) => a.id.localeCompare(b.id)).map(notifierView)
    },
    async getNotifier(id) {
      return notifierView(notifierOf(id))
    },
    async createNotifier(spec) {
      if (notifiers.has(spec.id)) throw errConflict.with(`notifier "${spec.id}" exists`)
      checkSecrets(spec)
      await checkUrls(spec)
      return putNotifier(spec, o.now())
    },
    async replaceNotifier(id, spec) {
      checkPathId(id, spec)
      const old = notifierOf(id)
      if (old.source === 'config') throw errDeclaredInConfig.with(`notifier "${id}" is declared in the config file; change it there`)
      checkSecrets(spec)
      await checkUrls(spec)
      return putNotifier(spec, old.createdAt)
    },
    async deleteNotifier(id) {
      if (notifierOf(id).source === 'config') throw errDeclaredInConfig.with(`notifier "${id}" is declared in the config file; remove it there`)
      const users = [...sensors.values()].filter((s) => s.notify.includes(id)).map((s) => s.id)
      if (users.length > 0) throw errNotifierInUse.with(`used by sensor ${users.map((u) => `"${u}"`).join(', ')}`, { sensors: users })
      notifiers.delete(id)
      await o.notifiers.remove(id)
    },
    async testNotifier(id): Promise<AttemptResult> {
      const record = notifierOf(id)
      const alert = testAlert(id, o.now(), offset, newId())
      let result: AttemptResult
      try {
        result = await sender.attempt(resolveSecrets(record, env), alert)
      } catch (err) {
        result = { ok: false, retryable: false, error: err instanceof Error ? err.message : String(err) }
      }
      await o.notifiers.recordDelivery({
        id: newId(),
        notifierId: id,
        alertId: alert.id,
        title: alert.title,
        attempt: 1,
        at: o.now(),
        outcome: 'test',
        ok: result.ok,
        ...(result.status !== undefined ? { status: result.status } : {}),
        ...(result.error ? { error: result.error } : {}),
      })
      return result
    },
    async deliveries(id, query) {
      notifierOf(id)
      return (await o.notifiers.deliveries(id, query)).map(deliveryView)
    },
    sendAlert(notifierIds, alert) {
      for (const notifierId of notifierIds) {
        if (notifiers.has(notifierId)) sender.send(notifierId, alert)
        else o.log.warn({ notifierId, alertId: alert.id }, 'alert names a notifier that does not exist')
      }
    },
    async settled() {
      await monitor.idle()
      await sending
      await sender.settled()
    },
    async close() {
      await monitor.close()
      await sending
      await Promise.all([...pollers.values()].map((p) => p.close()))
      sender.close()
      await sender.settled()
    },
  }
}
