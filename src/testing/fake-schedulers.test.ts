import { createTimerScheduler } from '../scheduler.js'
import { describeScheduler } from './scheduler-contract.js'
import { TestClock } from './test-clock.js'

describeScheduler('timers (setTimeout)', () => ({ scheduler: createTimerScheduler(), advance: (ms) => new Promise((r) => setTimeout(r, ms)) }), {
  unitMs: 50,
})

describeScheduler('TestClock (fake)', () => {
  const clock = new TestClock()
  return { scheduler: clock, advance: (ms) => clock.advance(ms) }
})
