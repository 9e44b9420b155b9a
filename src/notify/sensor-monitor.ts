/**
 * Runs the state machine for every sensor: listens on the Bus, keeps and persists state, records events, and
 * wakes itself with the Scheduler when a debounce window closes or a heartbeat runs out.
 */
import type { Message } from '../ports/types.js'
import type { Bus, Unsubscribe } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import { sha256Hex, toBase64, tryDecodeUtf8 } from '../util/bytes.js'
import { evaluate, nextDueAt } from './evaluate.js'
import { initialState, type Input, type SensorEvent, type SensorState } from './model.js'
import { parseSensorPayload } from './payload.js'
import type { SensorRecord, SensorStore } from './ports.js'
import type { Scheduler } from '../ports/scheduler.js'

export interface MonitorOptions {
  bus: Bus
  store: SensorStore
  scheduler: Scheduler
  now(): number
  log: Logger
  newId(): string
  /** Called after the events are stored. */
  onEvents(sensor: SensorRecord, events: SensorEvent[]): void
  /** Called after every stored state change, events or not (a battery reading, a heartbeat). */
  onState?(sensor: SensorRecord): void
}

interface Watched {
  sensor: SensorRecord
  state: SensorState
  unsubscribe?: Unsubscribe
  cancelTimer?: () => void
}

/** Long payloads are remembered by hash: only equality matters. */
async function payloadKey(payload: Uint8Array): Promise<string> {
  const text = tryDecodeUtf8(payload) ?? `base64:${toBase64(payload)}`
  return text.length <= 512 ? text : `sha256:${await sha256Hex(text)}`
}

export class SensorMonitor {
  private readonly watched = new Map<string, Watched>()
  /** One chain per sensor: a message and a tick for the same sensor never interleave their read-modify-write. */
  private readonly queues = new Map<string, Promise<void>>()
  private closed = false

  constructor(private readonly o: MonitorOptions) {}

  state(id: string): SensorState | undefined {
    return this.watched.get(id)?.state
  }

  /**
   * Starts watching a sensor. Its stored state is checked against the clock first, so a heartbeat that ran out
   * while Postbridge was down fires `silent` now, before any new message is read.
   */
  async watch(sensor: SensorRecord): Promise<void> {
    await this.unwatch(sensor.id)
    const stored = await this.o.store.state(sensor.id)
    const w: Watched = { sensor, state: stored ?? initialState(this.o.now()) }
    this.watched.set(sensor.id, w)
    if (!stored) await this.o.store.commit(sensor.id, w.state, [])
    await this.enqueue(sensor.id, () => this.apply(sensor.id, { type: 'tick' }))
    const topics = [sensor.topic, ...(sensor.willTopic && sensor.willTopic !== sensor.topic ? [sensor.willTopic] : [])]
    const unsubscribe = await this.o.bus.subscribe(topics, (message) => {
      void this.enqueue(sensor.id, () => this.onMessage(sensor.id, message))
    })
    // The sensor may have been replaced or removed while we subscribed.
    if (this.watched.get(sensor.id) === w && !this.closed) w.unsubscribe = unsubscribe
    else await unsubscribe()
  }

  /** Stops watching; the stored state stays (a replaced definition continues where the old one was). */
  async unwatch(id: string): Promise<void> {
    const w = this.watched.get(id)
    if (!w) return
    this.watched.delete(id)
    w.cancelTimer?.()
    await this.queues.get(id)
    await w.unsubscribe?.()
  }

  /** Waits until every queued message and tick has been handled. */
  async idle(): Promise<void> {
    while (true) {
      const pending = [...this.queues.values()]
      if (pending.length === 0) return
      await Promise.allSettled(pending)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    for (const id of [...this.watched.keys()]) await this.unwatch(id)
  }

  private enqueue(id: string, task: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(id) ?? Promise.resolve()
    const next = previous
      .then(task)
      .catch((err) => this.o.log.error({ sensorId: id, err: err instanceof Error ? err.stack : String(err) }, 'sensor update failed'))
    this.queues.set(id, next)
    void next.finally(() => {
      if (this.queues.get(id) === next) this.queues.delete(id)
    })
    return next
  }

  private async onMessage(id: string, message: Message): Promise<void> {
    const w = this.watched.get(id)
    if (!w) return
    const key = await payloadKey(message.payload)
    // A retained copy replayed on (re)subscribe is old news: counting it would reset the dead-man timer at every
    // restart. Live messages reach subscribers with retain cleared [MQTT-3.3.1-9].
    if (message.retain && key === w.state.lastPayload) return
    const parsed = parseSensorPayload(message.payload, w.sensor.payload)
    if (parsed.unrecognised)
      this.o.log.warn(
        { sensorId: id, topic: message.topic, payload: parsed.unrecognised },
        'sensor payload not understood; counted as a sign of life',
      )
    let input: Input = parsed.input
    // On a separate Will topic, anything but the Will itself ("online" at connect) is only a sign of life.
    if (input.type === 'message' && message.topic !== w.sensor.topic) input = { type: 'message', reading: {} }
    await this.apply(id, input, key)
  }

  private async apply(id: string, input: Input, payload?: string): Promise<void> {
    const w = this.watched.get(id)
    if (!w || this.closed) return
    const { state, events } = evaluate(w.sensor, w.state, input, this.o.now())
    if (payload !== undefined) state.lastPayload = payload
    const records: SensorEvent[] = events.map((e) => ({ ...e, id: this.o.newId(), sensorId: id }))
    await this.o.store.commit(id, state, records)
    w.state = state
    this.reschedule(w)
    if (records.length > 0) this.o.onEvents(w.sensor, records)
    this.o.onState?.(w.sensor)
  }

  private reschedule(w: Watched): void {
    w.cancelTimer?.()
    w.cancelTimer = undefined
    const due = nextDueAt(w.sensor, w.state)
    if (due === undefined || this.closed) return
    const id = w.sensor.id
    w.cancelTimer = this.o.scheduler.after(Math.max(0, due - this.o.now()), () => {
      void this.enqueue(id, () => this.apply(id, { type: 'tick' }))
    })
  }
}
