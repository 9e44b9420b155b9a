/** The local fan-out that Bus adapters without a broker's own subscriptions share (external broker, BROKER_URL, memory). */
import type { Message } from '../ports/types.js'
import type { SubscribeOptions, Unsubscribe } from '../ports/bus.js'
import { matchTopic } from '../topic/match.js'
import { validateTopicFilter } from '../topic/validate.js'

interface Subscriber {
  filters: string[]
  onMessage: (message: Message) => void
  retainAsPublished: boolean
}

/** Told of a subscriber that threw, so its bug is seen (logged) while delivery to the others goes on. */
export type SubscriberError = (error: unknown, topic: string) => void

export class SubscriberSet {
  private readonly subscribers = new Set<Subscriber>()

  constructor(private readonly onError: SubscriberError) {}

  /** Throws on an invalid filter, before anything is added. */
  add(topicFilters: string[], onMessage: (message: Message) => void, options: SubscribeOptions = {}): Unsubscribe {
    for (const f of topicFilters) {
      const reason = validateTopicFilter(f)
      if (reason) throw new Error(`${f}: ${reason}`)
    }
    const sub: Subscriber = { filters: [...new Set(topicFilters)], onMessage, retainAsPublished: options.retainAsPublished === true }
    this.subscribers.add(sub)
    return async () => {
      this.subscribers.delete(sub)
    }
  }

  /**
   * Hands the message to every subscriber with a matching filter, once each. The retain flag is kept only for those
   * that asked for Retain As Published [MQTT-3.3.1-12]/[MQTT-3.3.1-13]; the others see a live message.
   */
  deliver(message: Message): void {
    for (const s of [...this.subscribers]) {
      if (!s.filters.some((f) => matchTopic(f, message.topic))) continue
      try {
        s.onMessage(s.retainAsPublished ? message : { ...message, retain: false })
      } catch (error) {
        // A subscriber's bug must not stop delivery to the others.
        this.onError(error, message.topic)
      }
    }
  }

  get size(): number {
    return this.subscribers.size
  }
}
