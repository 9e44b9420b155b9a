import { describe, expect, it } from 'vitest'
import { createTimerScheduler } from './scheduler.js'

const until = (check: () => boolean) =>
  new Promise<void>((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 5))
    poll()
  })

describe('createTimerScheduler', () => {
  it('runs the task once after the delay', async () => {
    let runs = 0
    createTimerScheduler().after(10, () => runs++)
    await until(() => runs === 1)
    await new Promise((r) => setTimeout(r, 30))
    expect(runs).toBe(1)
  })

  it('does not run a cancelled task', async () => {
    let ran = false
    const cancel = createTimerScheduler().after(10, () => (ran = true))
    cancel()
    await new Promise((r) => setTimeout(r, 40))
    expect(ran).toBe(false)
  })

  it('splits a wait longer than setTimeout allows into steps instead of firing at once', async () => {
    let ran = false
    const started = Date.now()
    createTimerScheduler(10).after(35, () => (ran = true))
    await until(() => ran)
    // Not fired by the first 10 ms step (timers may run a millisecond early, hence the margin).
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('can cancel a long wait between steps', async () => {
    let ran = false
    const cancel = createTimerScheduler(10).after(40, () => (ran = true))
    await new Promise((r) => setTimeout(r, 15))
    cancel()
    await new Promise((r) => setTimeout(r, 60))
    expect(ran).toBe(false)
  })
})
