import { afterEach, describe, expect, it, vi } from 'vitest'
import { type EventLoopReading, type Utilisation, watchForLoad } from './load-watch.js'

/** A stand-in for the event loop's utilisation: each window reads the share set last. */
function fakeUtilisation() {
  const state = { share: 0, readings: 0 }
  const utilisation: Utilisation = (start?: EventLoopReading) => {
    state.readings++
    return { utilization: start ? state.share : 0 }
  }
  return { state, utilisation }
}

const settled = async (p: Promise<void>) => {
  let done = false
  void p.then(() => {
    done = true
  })
  await Promise.resolve()
  await Promise.resolve()
  return done
}

describe('watchForLoad (policy, fake clock and utilisation)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('holds no timer and reads nothing while there is no work', () => {
    vi.useFakeTimers()
    const { state, utilisation } = fakeUtilisation()
    watchForLoad({ windowMs: 1000, busyShare: 0.1, utilisation })
    expect(vi.getTimerCount()).toBe(0)
    expect(state.readings).toBe(0)
  })

  it('opens one window for any amount of work inside it', () => {
    vi.useFakeTimers()
    const { utilisation } = fakeUtilisation()
    const watch = watchForLoad({ windowMs: 1000, busyShare: 0.1, utilisation })
    for (let i = 0; i < 100; i++) watch.activity()
    expect(vi.getTimerCount()).toBe(1)
  })

  it('says nothing after a quiet window, and holds no timer until the next work', async () => {
    vi.useFakeTimers()
    const { state, utilisation } = fakeUtilisation()
    const watch = watchForLoad({ windowMs: 1000, busyShare: 0.1, utilisation })
    state.share = 0.09
    watch.activity()
    vi.advanceTimersByTime(1000)
    expect(await settled(watch.busy)).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
    watch.activity()
    expect(vi.getTimerCount()).toBe(1)
  })

  it('settles after a busy window, once, and is free from then on', async () => {
    vi.useFakeTimers()
    const { state, utilisation } = fakeUtilisation()
    const watch = watchForLoad({ windowMs: 1000, busyShare: 0.1, utilisation })
    state.share = 0.1
    watch.activity()
    vi.advanceTimersByTime(999)
    expect(await settled(watch.busy)).toBe(false)
    vi.advanceTimersByTime(1)
    expect(await settled(watch.busy)).toBe(true)
    const readings = state.readings
    watch.activity()
    expect(vi.getTimerCount()).toBe(0)
    expect(state.readings).toBe(readings)
  })

  it('drops an open window on close and never settles', async () => {
    vi.useFakeTimers()
    const { state, utilisation } = fakeUtilisation()
    const watch = watchForLoad({ windowMs: 1000, busyShare: 0.1, utilisation })
    state.share = 1
    watch.activity()
    watch.close()
    expect(vi.getTimerCount()).toBe(0)
    watch.activity()
    vi.advanceTimersByTime(5000)
    expect(await settled(watch.busy)).toBe(false)
  })
})

describe("watchForLoad on Node's event loop", () => {
  it('settles when the loop is kept busy inside a window', async () => {
    const watch = watchForLoad({ windowMs: 200, busyShare: 0.5 })
    watch.activity()
    // Busy for the whole window: synchronous work, as a burst of requests is to the loop.
    const until = performance.now() + 250
    while (performance.now() < until) {
      /* spin */
    }
    await watch.busy
    watch.close()
  })
})
