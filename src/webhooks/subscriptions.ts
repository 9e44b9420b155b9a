/** Keeps one Bus subscription per topic filter in use, following the set of filters as webhooks come and go. */
import type { Message } from '../ports/types.js'
import type { Bus, Unsubscribe } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'

export class FilterSubscriptions {
  private readonly active = new Map<string, Promise<Unsubscribe>>()
  private wanted = new Set<string>()
  /** Changes run one after another, so the Bus never sees a subscribe and an unsubscribe of a filter race. */
  private chain: Promise<void> = Promise.resolve()
  private closed = false

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly onMessage: (topicFilter: string, message: Message) => void,
  ) {}

  /** Subscribes the new filters and unsubscribes the ones no longer wanted; resolves once the Bus has done both. */
  follow(filters: Iterable<string>): Promise<void> {
    if (this.closed) return this.chain
    this.wanted = new Set(filters)
    this.chain = this.chain
      .then(() => this.sync())
      .catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot subscribe webhook filters'))
    return this.chain
  }

  async close(): Promise<void> {
    this.closed = true
    this.chain = this.chain.then(() => this.unsubscribeAll())
    await this.chain
  }

  private async sync(): Promise<void> {
    if (this.closed) return
    for (const [filter, unsubscribe] of this.active) {
      if (this.wanted.has(filter)) continue
      this.active.delete(filter)
      await (await unsubscribe)()
    }
    for (const filter of this.wanted) {
      if (this.active.has(filter)) continue
      // One subscription per filter: a message matching two filters reaches each filter's hooks once, whatever the
      // Bus does with overlapping filters of one subscriber.
      // Retain As Published: the webhook body states how the message was published, and a retained clear (an empty
      // retained message) is told apart from an empty message.
      const pending = this.bus.subscribe([filter], (m) => this.onMessage(filter, m), { retainAsPublished: true })
      this.active.set(filter, pending)
      try {
        await pending
      } catch (err) {
        this.active.delete(filter)
        throw err
      }
    }
  }

  private async unsubscribeAll(): Promise<void> {
    const all = [...this.active.values()]
    this.active.clear()
    for (const pending of all) {
      try {
        await (await pending)()
      } catch (err) {
        this.log.warn({ err: String(err) }, 'webhook unsubscribe failed')
      }
    }
  }
}
