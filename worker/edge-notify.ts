/**
 * Door sensors and phone alerts at the edge: the same service as the home node (src/notify) over Durable Object
 * SQLite, the hub's alarm and the Worker's fetch. It listens on the hub's Bus, so sensor messages that come up the
 * link drive it exactly as home's broker drives home's, and its alerts leave from Cloudflare even when home is cut off.
 */
import { startNotifyService, type RunningNotifyService } from '../src/notify/notify-service.js'
import type { Scheduler } from '../src/ports/scheduler.js'
import type { Bus } from '../src/ports/bus.js'
import type { Logger } from '../src/ports/logger.js'
import { DurableNotifierStore } from './stores/notifier-store.js'
import { DurableSensorStore } from './stores/sensor-store.js'

export function startEdgeNotify(o: {
  storage: DurableObjectStorage
  bus: Bus
  scheduler: Scheduler
  /** The Worker's bindings: `env:NAME` secrets of notifiers are read here. */
  env: object
  fetch: typeof fetch
  log: Logger
  now(): number
}): Promise<RunningNotifyService> {
  return startNotifyService({
    bus: o.bus,
    sensors: new DurableSensorStore(o.storage),
    notifiers: new DurableNotifierStore(o.storage),
    scheduler: o.scheduler,
    now: o.now,
    fetch: o.fetch,
    log: o.log,
    env: stringBindings(o.env),
    // No config file at the edge: sensors and notifiers are made through the API. Workers run in UTC, so alert
    // times and quiet hours are UTC here (the process time zone would say the same).
    utcOffset: () => 0,
  })
}

/** Vars and secrets are strings; namespaces and other bindings are not secrets and stay out. */
function stringBindings(env: object): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'))
}
