/**
 * Keeps Home Assistant's view of the door sensors current over the Bus: announces each sensor with retained
 * discovery configs, mirrors its state as it changes, removes it when deleted, and announces everything again when
 * Home Assistant comes back (`<prefix>/status` = `online`), as its discovery documentation asks.
 */
import type { SensorObserver } from '../notify/notify-service.js'
import type { SensorView } from '../notify/ports.js'
import type { Bus, Unsubscribe } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import { configMessages, removalMessages, stateMessages, type DiscoveryMessage, type DiscoverySettings } from './discovery.js'

export interface HomeAssistantOptions {
  bus: Bus
  settings: DiscoverySettings
  /** Every sensor as the API shows it, for the announcements at start and when Home Assistant comes back. */
  listSensors(): Promise<SensorView[]>
  log: Logger
}

const encoder = new TextEncoder()

export class HomeAssistantPublisher implements SensorObserver {
  /** Payload last published per topic: a state that did not change is not sent again. */
  private readonly sent = new Map<string, string>()
  /** One chain: messages leave in the order the changes happened. */
  private chain: Promise<void> = Promise.resolve()
  private unsubscribe?: Unsubscribe
  private closed = false

  constructor(private readonly o: HomeAssistantOptions) {}

  /** Announces every sensor, then listens for Home Assistant's birth message. */
  async start(): Promise<void> {
    await this.announceAll()
    this.unsubscribe = await this.o.bus.subscribe([`${this.o.settings.prefix}/status`], (message) => {
      if (new TextDecoder().decode(message.payload).trim() !== 'online') return
      this.o.log.info({ prefix: this.o.settings.prefix }, 'home assistant is online: announcing sensors again')
      void this.announceAll()
    })
  }

  changed(view: SensorView): void {
    this.enqueue([...configMessages(this.o.settings, view), ...stateMessages(this.o.settings, view)], false)
  }

  removed(sensorId: string): void {
    this.enqueue(removalMessages(this.o.settings, sensorId), true)
  }

  /** Waits for every message queued so far. For tests and shutdown. */
  settled(): Promise<void> {
    return this.chain
  }

  async close(): Promise<void> {
    this.closed = true
    await this.unsubscribe?.()
    await this.chain
  }

  private async announceAll(): Promise<void> {
    const views = await this.o.listSensors()
    const messages = views.flatMap((v) => [...configMessages(this.o.settings, v), ...stateMessages(this.o.settings, v)])
    this.enqueue(messages, true)
    await this.chain
  }

  /** `force` sends even what was sent before: after Home Assistant restarted, or to clear a topic. */
  private enqueue(messages: DiscoveryMessage[], force: boolean): void {
    this.chain = this.chain.then(async () => {
      for (const m of messages) {
        if (this.closed) return
        if (!force && this.sent.get(m.topic) === m.payload) continue
        try {
          if (m.payload === '') await this.o.bus.clearRetained(m.topic)
          else await this.o.bus.publish({ topic: m.topic, payload: encoder.encode(m.payload), qos: 1, retain: true })
          if (m.payload === '') this.sent.delete(m.topic)
          else this.sent.set(m.topic, m.payload)
        } catch (err) {
          this.o.log.warn({ topic: m.topic, err: err instanceof Error ? err.message : String(err) }, 'home assistant discovery publish failed')
        }
      }
    })
  }
}
