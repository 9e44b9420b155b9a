/** An in-memory Bus: retained messages and fan-out to subscribers, for tests and the minimal Worker. */
import { SubscriberSet, type SubscriberError } from '../bus/subscriber-set.js'
import type { Message, PublishReceipt } from '../ports/types.js'
import type { Bus, BusStatus, SubscribeOptions, Unsubscribe } from '../ports/bus.js'
import { matchTopic } from '../topic/match.js'

export class MemoryBus implements Bus {
  readonly published: Message[] = []
  private readonly retainedByTopic = new Map<string, Message>()
  private readonly subscribers: SubscriberSet
  /** When set, publish fails with this error (to test 503 paths). */
  failWith: Error | undefined
  /** When true, publish answers like the edge while home is offline: stored for later, `queued: true`. */
  queueing = false
  private counter = 0

  /** A subscriber that throws is reported here (by default on the console) and the others still get the message. */
  constructor(onSubscriberError: SubscriberError = (error, topic) => console.error(`bus subscriber threw on ${topic}:`, error)) {
    this.subscribers = new SubscriberSet(onSubscriberError)
  }

  async publish(message: Message): Promise<PublishReceipt> {
    if (this.failWith) throw this.failWith
    this.published.push(message)
    if (message.retain) {
      if (message.payload.byteLength === 0) this.retainedByTopic.delete(message.topic)
      else this.retainedByTopic.set(message.topic, message)
    }
    this.subscribers.deliver(message)
    return this.queueing ? { id: `mem-${++this.counter}`, queued: true } : { id: `mem-${++this.counter}` }
  }

  async subscribe(topicFilters: string[], onMessage: (m: Message) => void, options: SubscribeOptions = {}): Promise<Unsubscribe> {
    return this.subscribers.add(topicFilters, onMessage, options)
  }

  get subscriberCount(): number {
    return this.subscribers.size
  }

  async retained(topicFilter: string): Promise<Message[]> {
    return [...this.retainedByTopic.values()].filter((m) => matchTopic(topicFilter, m.topic))
  }

  /** An empty retained publish, as on a broker: the topic's retained message goes and subscribers see the clear. */
  async clearRetained(topicName: string): Promise<void> {
    await this.publish({ topic: topicName, payload: new Uint8Array(0), qos: 0, retain: true })
  }

  status(): BusStatus {
    return { kind: 'memory', connected: true, clients: 0, messagesIn: this.published.length, messagesOut: 0 }
  }
}
