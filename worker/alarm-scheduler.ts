/**
 * The notifier's Scheduler at the edge. A Durable Object has one alarm and may leave memory between events, so
 * timers are kept here and the link hub sets its single alarm for the earliest of them (with the queue's and the
 * webhooks' wake-ups); the alarm handler then runs whatever is due. Timers live in memory only: after an eviction
 * the notify service starts again and re-arms every sensor's deadline from its stored state, as home does at boot.
 */
import type { Scheduler } from '../src/ports/scheduler.js'

interface Timer {
  at: number
  fn: () => void
}

export class AlarmScheduler implements Scheduler {
  private readonly timers = new Set<Timer>()

  /** `onArmed` is told of each new timer, so the alarm can be brought forward. */
  constructor(private readonly o: { now(): number; onArmed(at: number): void }) {}

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.o.now() + Math.max(0, ms), fn }
    this.timers.add(timer)
    this.o.onArmed(timer.at)
    return () => this.timers.delete(timer)
  }

  /** When the earliest timer is due, for the alarm. */
  nextDue(): number | undefined {
    let next: number | undefined
    for (const t of this.timers) if (next === undefined || t.at < next) next = t.at
    return next
  }

  /** Fires the timers due by `now`, soonest first; returns how many fired. */
  runDue(now: number): number {
    const due = [...this.timers].filter((t) => t.at <= now).sort((a, b) => a.at - b.at)
    for (const t of due) {
      this.timers.delete(t)
      t.fn()
    }
    return due.length
  }
}
