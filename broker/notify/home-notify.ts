/** Door sensors and phone alerts on the home node: the runtime-neutral service over SQLite, setTimeout and Node's fetch. */
import type { NotifierSpec, SensorSpec } from '../../src/notify/config.js'
import { startNotifyService, type RunningNotifyService, type SensorObserver } from '../../src/notify/notify-service.js'
import { createTimerScheduler } from '../../src/scheduler.js'
import type { ActionService } from '../../src/notify/actions.js'
import type { Bus } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import type { UrlPolicy } from '../../src/webhooks/url-policy.js'
import type { Db } from '../store/db.js'
import { SqliteNotifierStore } from '../store/notifiers-sqlite.js'
import { SqliteSensorStore } from '../store/sensors-sqlite.js'

export interface HomeNotifyOptions {
  db: Db
  bus: Bus
  sensors: SensorSpec[]
  notifiers: NotifierSpec[]
  log: Logger
  /** Where `env:NAME` secrets are read. */
  env: Record<string, string | undefined>
  fetch?: typeof fetch
  observer?: SensorObserver
  actions?: ActionService
  /** Which URLs notifiers may post to: the webhook URL policy (webhooks.allowPrivate). */
  urlPolicy?: UrlPolicy
}

/**
 * Starts the notifier; rejects with a ConfigError naming the key when a sensor names an unknown notifier or a
 * secret's variable is unset. Quiet hours and alert times use the process time zone (set TZ to change it).
 */
export function startHomeNotify(o: HomeNotifyOptions): Promise<RunningNotifyService> {
  return startNotifyService({
    bus: o.bus,
    sensors: new SqliteSensorStore(o.db),
    notifiers: new SqliteNotifierStore(o.db),
    scheduler: createTimerScheduler(),
    now: Date.now,
    // Read when a notifier sends, not now: reading globalThis.fetch loads Node's fetch implementation (~30 ms, MBs).
    fetch: o.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    log: o.log,
    env: o.env,
    config: { sensors: o.sensors, notifiers: o.notifiers },
    ...(o.observer ? { observer: o.observer } : {}),
    ...(o.actions ? { actions: o.actions } : {}),
    ...(o.urlPolicy ? { urlPolicy: o.urlPolicy } : {}),
  })
}
