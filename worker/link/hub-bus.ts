/**
 * The Bus the edge's routes use: publishes go down the link (queued while home is away), subscriptions see
 * what comes up, and retained messages are the last state the edge saw.
 */
import type { EdgeSettings } from '../../src/link/edge-settings.js'
import { SubscriberSet } from '../../src/bus/subscriber-set.js'
import { consoleLogger } from '../log.js'
import type { Message, PublishReceipt } from '../../src/ports/types.js'
import type { Bus, BusStatus, SubscribeOptions, Unsubscribe } from '../../src/ports/bus.js'
import { QueueFullError, type EdgeQueue, type QueuedMessage } from './edge-queue.js'
import type { EdgeStats } from './edge-stats.js'
import type { LinkServer } from './link-server.js'
import type { RetainedStore } from './retained-store.js'

export interface HubBusDeps {
  link: LinkServer
  queue: EdgeQueue
  retained: RetainedStore
  stats: EdgeStats
  settings: Pick<EdgeSettings, 'queueMax' | 'queueMaxAgeMs' | 'ackTimeoutMs'>
  now(): number
  newId(): string
  /** Keeps the alarm set for the next expiry. */
  scheduleAlarm(): Promise<void>
}

export class HubBus implements Bus {
  private readonly subscribers = new SubscriberSet((err, topic) => consoleLogger.error({ err, topic }, 'bus subscriber threw'))

  constructor(private readonly deps: HubBusDeps) {}

  /**
   * Every publish is stored first, then sent: 200 once home's broker acknowledged it, 202 `queued` when home is
   * offline or slower than the ack timeout (it stays queued and is delivered in order later).
   */
  async publish(message: Message): Promise<PublishReceipt> {
    const { link, queue, retained, stats, settings, now } = this.deps
    const id = this.deps.newId()
    let entry: QueuedMessage
    try {
      entry = queue.enqueue(id, message, now(), { maxCount: settings.queueMax, maxAgeMs: settings.queueMaxAgeMs })
    } catch (err) {
      if (err instanceof QueueFullError) stats.add('refusedQueueFull')
      throw err
    }
    // The edge's view follows its own retained publishes at once, so GET /v1/retained answers while home is away.
    retained.apply(message, now())
    await this.deps.scheduleAlarm()
    if (!link.online()) return { id, queued: true }
    const acked = link.awaitAck(entry.seq, settings.ackTimeoutMs)
    try {
      link.pump()
    } catch {
      // The message is stored: whatever failed on the way down, it goes on the next pump. The answer is 202, never an
      // error for a message that was in fact queued.
    }
    const outcome = await acked
    if (outcome.kind === 'acked') return { id }
    if (outcome.kind === 'rejected') throw new Error(`home's broker refused the message (reason code 0x${outcome.reasonCode.toString(16)})`)
    return { id, queued: true }
  }

  async subscribe(topicFilters: string[], onMessage: (message: Message) => void, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.subscribers.add(topicFilters, onMessage, options)
  }

  /**
   * Hands a message that came up from home to every matching subscriber. Home sends it up with its retain flag as
   * published (the link subscribes with Retain As Published); the subscriber set clears it for live delivery
   * unless a subscriber asked for it, as every other Bus does.
   */
  fanOut(message: Message): void {
    this.subscribers.deliver(message)
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  async retained(topicFilter: string): Promise<Message[]> {
    return this.deps.retained.matching(topicFilter)
  }

  /** Clearing is an empty retained publish: it goes down like any other, and clears the edge's copy now. */
  async clearRetained(topicName: string): Promise<void> {
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 1, retain: true })
  }

  /** Connected means "accepting publishes": the edge queues while home is away; the link state is in `detail`. */
  status(): BusStatus {
    const online = this.deps.link.online() !== undefined
    return {
      kind: 'link',
      connected: true,
      clients: online ? 1 : 0,
      messagesIn: this.deps.link.messagesUp,
      messagesOut: this.deps.link.messagesDown,
      detail: { home: online ? 'online' : 'offline', queued: this.deps.queue.count() },
    }
  }
}
