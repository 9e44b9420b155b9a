/** A Scheduler whose time moves only when the test says so; `now` is its clock. */
import type { Scheduler } from '../ports/scheduler.js'

interface Timer {
  at: number
  fn: () => void
}

export class ManualScheduler implements Scheduler {
  private timers = new Set<Timer>()

  // Starts at the real time: receivers check webhook-timestamp against their own clock (±5 min).
  constructor(private time = Date.now()) {}

  readonly now = (): number => this.time

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.time + ms, fn }
    this.timers.add(timer)
    return () => this.timers.delete(timer)
  }

  /** Waits the scheduler has been asked for, soonest first. */
  get pendingDelays(): number[] {
    return [...this.timers].map((t) => t.at - this.time).sort((a, b) => a - b)
  }

  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    const until = this.time + ms
    for (;;) {
      const due = [...this.timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.timers.delete(due)
      this.time = Math.max(this.time, due.at)
      due.fn()
    }
    this.time = until
  }
}
