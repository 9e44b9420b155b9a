import { createTimerScheduler } from '../scheduler.js'
import { ManualScheduler } from './manual-scheduler.js'
import { describeScheduler } from './scheduler-contract.js'
import { TestClock } from './test-clock.js'

describeScheduler('timers (setTimeout)', () => ({ scheduler: createTimerScheduler(), advance: (ms) => new Promise((r) => setTimeout(r, ms)) }), {
  unitMs: 50,
})

describeScheduler('ManualScheduler (fake)', () => {
  const scheduler = new ManualScheduler()
  return { scheduler, advance: async (ms) => scheduler.advance(ms) }
})

describeScheduler('TestClock (fake)', () => {
  const clock = new TestClock()
  return { scheduler: clock, advance: (ms) => clock.advance(ms) }
})
