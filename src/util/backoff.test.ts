import { describe, expect, it } from 'vitest'
import { exponentialDelayMs, type ExponentialBackoff } from './backoff.js'

const equal: ExponentialBackoff = { baseMs: 1000, factor: 2, maxDelayMs: 10_000, jitter: { min: 0.5, max: 1 } }

describe('exponentialDelayMs, the one backoff function', () => {
  it('grows by its factor from the base after each failure', () => {
    expect([1, 2, 3, 4].map((n) => exponentialDelayMs(n, equal, () => 1))).toEqual([1000, 2000, 4000, 8000])
  })

  it('never waits longer than the ceiling, jitter included, however many failures', () => {
    const wide = { ...equal, jitter: { min: 0.8, max: 1.2 } }
    expect(exponentialDelayMs(5, wide, () => 0.999)).toBe(10_000)
    expect(exponentialDelayMs(10_000, wide, () => 0.999)).toBe(10_000)
  })

  it('draws the wait between the jitter shares of the delay', () => {
    expect(exponentialDelayMs(3, equal, () => 0)).toBe(2000)
    expect(exponentialDelayMs(3, equal, () => 0.5)).toBe(3000)
    expect(exponentialDelayMs(3, { ...equal, jitter: { min: 0.8, max: 1.2 } }, () => 0)).toBe(3200)
  })
})
