/** The one timer implementation of the Scheduler port (src/ports/scheduler.ts), on Node and workerd alike. */
import type { Scheduler } from './ports/scheduler.js'

/** setTimeout takes a signed 32-bit delay and fires at once beyond it; a 7-day heartbeat x 1.5 is well past it. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** A Scheduler on the platform's setTimeout (Node and workerd both have it); `maxTimeoutMs` is lowered only by tests. */
export function createTimerScheduler(maxTimeoutMs = MAX_TIMEOUT_MS): Scheduler {
  return {
    after(ms, fn) {
      let timer: ReturnType<typeof setTimeout> | undefined
      let remaining = Math.max(0, ms)
      const arm = () => {
        const step = Math.min(remaining, maxTimeoutMs)
        remaining -= step
        timer = setTimeout(remaining > 0 ? arm : fn, step)
      }
      arm()
      return () => {
        if (timer !== undefined) clearTimeout(timer)
      }
    },
  }
}

/** The process-wide timer scheduler. Timers do not survive a restart: callers re-arm from stored state at start. */
export const timerScheduler: Scheduler = createTimerScheduler()
