/** The Scheduler on the platform's setTimeout (Node and workerd both have it). */
import type { Scheduler } from './ports.js'

/** setTimeout takes at most 2^31-1 ms (about 24.8 days); longer waits are cut to that and re-checked by the caller. */
const MAX_TIMER_MS = 2 ** 31 - 1

export const timerScheduler: Scheduler = {
  after(ms, fn) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS))
    return () => clearTimeout(timer)
  },
}
