/**
 * Writes delivery results in batches: what the lanes finish within BATCH_WINDOW_MS shares one store transaction, so a
 * busy dispatcher commits (and fsyncs) a hundred times a second at most instead of once per delivery. A crash loses at
 * most that window of results, and those messages are sent again: at-least-once allows it.
 */
import type { Logger } from '../ports/logger.js'
import type { Settlement, WebhookStore } from './ports.js'

export const BATCH_WINDOW_MS = 10

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
    // Let the other lanes add theirs first. A plain timer, not the Scheduler: this is about batching, not policy.
    await new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS))
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
