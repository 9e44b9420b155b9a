/**
 * The one Scheduler port, shared by webhook retries and the notifier's debounce and dead-man timers.
 * Adapters: the timers in src/scheduler.ts (home), the edge's AlarmScheduler (worker/alarm-scheduler.ts); fakes:
 * TestClock in src/testing/ (the one manual-clock fake). Each passes describeScheduler (src/testing/scheduler-contract.ts).
 */
export interface Scheduler {
  /** Calls fn once after ms (a negative wait is 0, and fn never runs inside this call); the returned function cancels it. */
  after(ms: number, fn: () => void): () => void
}
