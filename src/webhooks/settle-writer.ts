/**
 * Writes delivery results in batches: every lane finishing in the same tick shares one store transaction, so a
 * busy dispatcher commits once per tick instead of once per delivery.
 */
import type { Logger } from '../ports.js'
import type { Settlement, WebhookStore } from './ports.js'

export class SettleWriter {
  private queue: Settlement[] = []
  private running: Promise<void> | undefined

  constructor(
    private readonly store: WebhookStore,
    private readonly log: Logger,
  ) {}

  push(settlement: Settlement): void {
    this.queue.push(settlement)
    this.running ??= this.drain()
  }

  /** Resolves once everything pushed so far is written (or failed and was logged). */
  async flush(): Promise<void> {
    while (this.running) await this.running
  }

  private async drain(): Promise<void> {
    // Let the other lanes that finish in this tick add theirs first.
    await Promise.resolve()
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0)
      try {
        await this.store.settle(batch)
      } catch (err) {
        // The rows stay as they were: they are sent again, which at-least-once allows.
        this.log.error({ err: err instanceof Error ? err.message : String(err), count: batch.length }, 'cannot record webhook attempts')
      }
    }
    this.running = undefined
  }
}
