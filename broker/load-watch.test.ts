import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { watchForLoad } from './load-watch.js'

const settled = async (p: Promise<void>) => {
  let done = false
  void p.then(() => {
    done = true
  })
  await Promise.resolve()
  await Promise.resolve()
  return done
}

describe('watchForLoad', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('holds no timer while there is no work', () => {
    watchForLoad({ windowMs: 1000, busyCount: 100 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('opens one window for any amount of work inside it, and holds no timer once it has passed', () => {
    const watch = watchForLoad({ windowMs: 1000, busyCount: 100 })
    for (let i = 0; i < 50; i++) watch.activity()
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts within a window only: 99 in each of two windows is not busy', async () => {
    const watch = watchForLoad({ windowMs: 1000, busyCount: 100 })
    for (let i = 0; i < 99; i++) watch.activity()
    vi.advanceTimersByTime(1000)
    for (let i = 0; i < 99; i++) watch.activity()
    expect(await settled(watch.busy)).toBe(false)
  })

  it('settles at the window’s 100th unit, at once, and is free from then on', async () => {
    const watch = watchForLoad({ windowMs: 1000, busyCount: 100 })
    for (let i = 0; i < 99; i++) watch.activity()
    vi.advanceTimersByTime(999)
    expect(await settled(watch.busy)).toBe(false)
    watch.activity()
    expect(await settled(watch.busy)).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    for (let i = 0; i < 1000; i++) watch.activity()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('drops an open window on close and never settles', async () => {
    const watch = watchForLoad({ windowMs: 1000, busyCount: 2 })
    watch.activity()
    watch.close()
    expect(vi.getTimerCount()).toBe(0)
    watch.activity()
    watch.activity()
    expect(await settled(watch.busy)).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })
})
