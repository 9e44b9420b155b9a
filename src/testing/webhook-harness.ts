/** A webhook dispatcher on fakes (bus, store, fetch, clock), for policy and route tests. */
import { webhooksConfigSchema, type WebhooksConfig } from '../webhooks/config.js'
import { startWebhookDispatcher, type DispatcherOptions } from '../webhooks/dispatcher.js'
import type { WebhookStore } from '../webhooks/ports.js'
import { FakeFetch } from './fake-fetch.js'
import { TestClock } from './test-clock.js'
import { MemoryBus } from './memory-bus.js'
import { MemoryWebhookStore } from './memory-webhook-store.js'
import { RecordingLogger } from './recording-logger.js'

export interface HarnessOptions {
  config?: Record<string, unknown>
  store?: WebhookStore
  bus?: MemoryBus
  fetch?: FakeFetch
  scheduler?: TestClock
  extra?: Partial<DispatcherOptions>
}

/** A valid secret for tests (32 bytes). */
export const TEST_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo='

export async function startHarness(options: HarnessOptions = {}) {
  const bus = options.bus ?? new MemoryBus()
  const store = options.store ?? new MemoryWebhookStore()
  const fetch = options.fetch ?? new FakeFetch()
  const scheduler = options.scheduler ?? new TestClock(Date.now())
  const log = new RecordingLogger()
  const config: WebhooksConfig = webhooksConfigSchema().parse({ allowPrivate: true, ...options.config })
  const dispatcher = await startWebhookDispatcher({
    bus,
    store,
    fetch: fetch.fetch,
    now: scheduler.now,
    log,
    config,
    scheduler,
    random: () => 0.5, // no jitter: exact waits
    ...options.extra,
  })
  const publish = (topic: string, payload: string | Uint8Array = 'x') =>
    bus.publish({ topic, payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload, qos: 1, retain: false })
  return { bus, store, fetch, scheduler, log, config, dispatcher, service: dispatcher.service, publish }
}
