/** A clock and Scheduler whose time moves only when the test says so, for the notifier's policy tests. */
import type { Scheduler } from '../ports/scheduler.js'

interface Timer {
  at: number
  seq: number
  fn: () => void
}

export class TestClock implements Scheduler {
  private readonly timers = new Set<Timer>()
  private seq = 0

  /** 2024-03-01T12:00:00Z unless told otherwise. */
  constructor(private time = Date.UTC(2024, 2, 1, 12, 0, 0)) {}

  readonly now = (): number => this.time

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.add(timer)
    return () => this.timers.delete(timer)
  }

  /** Times (ms from now) of the timers waiting, soonest first. */
  get pending(): number[] {
    return [...this.timers].map((t) => t.at - this.time).sort((a, b) => a - b)
  }

  /**
   * Moves the clock forward, firing due timers in order. `settle` runs after each timer so the async work it
   * started (store writes, new timers) happens before the next one fires, as it would in real time.
   */
  async advance(ms: number, settle: () => Promise<void> = async () => {}): Promise<void> {
    const until = this.time + ms
    for (;;) {
      await settle()
      const due = [...this.timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!due) break
      this.timers.delete(due)
      this.time = Math.max(this.time, due.at)
      due.fn()
    }
    this.time = until
    await settle()
  }
}
