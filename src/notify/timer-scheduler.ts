/** A Scheduler over setTimeout, for a long-running process (home). Timers do not survive a restart: the service re-checks every sensor at start. */
import type { Scheduler } from './ports.js'

/** setTimeout takes a signed 32-bit delay and fires at once beyond it; a 7-day heartbeat x 1.5 is well past it. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** `maxTimeoutMs` is only lowered by tests, to see long waits split into steps. */
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
