/** The notifier service on fakes: MemoryBus, memory stores, a TestClock and a fetch that records and answers from a script. */
import { notifiersSection, sensorsSection } from '../notify/config.js'
import { startNotifyService, type NotifyServiceOptions, type RunningNotifyService } from '../notify/notify-service.js'
import type { Message } from '../ports/types.js'
import { utf8 } from '../util/bytes.js'
import { MemoryBus } from './memory-bus.js'
import { MemoryNotifierStore } from './memory-notifier-store.js'
import { MemorySensorStore } from './memory-sensor-store.js'
import { RecordingLogger } from './recording-logger.js'
import { TestClock } from './test-clock.js'

export interface SentRequest {
  method: string
  url: string
  headers: Record<string, string>
  body: string
}

/** A fetch that records each request and answers with the status the script gives (200 unless told). */
export class RecordingFetch {
  readonly requests: SentRequest[] = []
  constructor(public answer: (r: SentRequest, index: number) => number = () => 200) {}

  readonly fetch = (async (input: Request) => {
    const r: SentRequest = { method: input.method, url: input.url, headers: Object.fromEntries(input.headers.entries()), body: await input.text() }
    this.requests.push(r)
    return new Response(null, { status: this.answer(r, this.requests.length - 1) })
  }) as unknown as typeof fetch

  /** JSON bodies, in order. */
  get bodies(): Record<string, unknown>[] {
    return this.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>)
  }
}

/** A MemoryBus that, like a broker, sends matching retained messages (retain flag set) to each new subscription. */
export class ReplayingBus extends MemoryBus {
  override async subscribe(topicFilters: string[], onMessage: (m: Message) => void) {
    const unsubscribe = await super.subscribe(topicFilters, onMessage)
    for (const filter of topicFilters) for (const m of await this.retained(filter)) onMessage({ ...m, retain: true })
    return unsubscribe
  }
}

export interface HarnessOptions {
  /** Raw config sections, validated as the config file would be. */
  sensors?: unknown[]
  notifiers?: unknown[]
  env?: Record<string, string>
  clock?: TestClock
  bus?: ReplayingBus
  sensorStore?: MemorySensorStore
  notifierStore?: MemoryNotifierStore
  fetch?: RecordingFetch
  extra?: Partial<NotifyServiceOptions>
}

export async function startNotifyHarness(o: HarnessOptions = {}) {
  const clock = o.clock ?? new TestClock()
  const bus = o.bus ?? new ReplayingBus()
  const sensorStore = o.sensorStore ?? new MemorySensorStore()
  const notifierStore = o.notifierStore ?? new MemoryNotifierStore()
  const http = o.fetch ?? new RecordingFetch()
  const log = new RecordingLogger()
  const service: RunningNotifyService = await startNotifyService({
    bus,
    sensors: sensorStore,
    notifiers: notifierStore,
    scheduler: clock,
    now: clock.now,
    fetch: http.fetch,
    log,
    env: o.env ?? {},
    config: { sensors: sensorsSection.parse(o.sensors ?? []), notifiers: notifiersSection.parse(o.notifiers ?? []) },
    utcOffset: () => 0,
    random: () => 0.5,
    retry: { baseDelayMs: 1000 },
    ...o.extra,
  })
  await service.settled()
  const publish = async (topic: string, payload: string, retain = false) => {
    await bus.publish({ topic, payload: utf8(payload), qos: 1, retain })
    await service.settled()
  }
  const advance = (ms: number) => clock.advance(ms, () => service.settled())
  return { clock, bus, sensorStore, notifierStore, http, log, service, publish, advance }
}
