import { describeScheduler } from '../src/testing/scheduler-contract.js'
import { AlarmScheduler } from './alarm-scheduler.js'

describeScheduler('the edge AlarmScheduler', () => {
  let now = Date.UTC(2026, 0, 1)
  const scheduler = new AlarmScheduler({ now: () => now, onArmed: () => {} })
  // The Durable Object alarm fires at the earliest timer; here time moves and the due timers run as the alarm would.
  return {
    scheduler,
    advance: async (ms) => {
      const until = now + ms
      for (let next = scheduler.nextDue(); next !== undefined && next <= until; next = scheduler.nextDue()) {
        now = Math.max(now, next)
        scheduler.runDue(now)
      }
      now = until
    },
  }
})
