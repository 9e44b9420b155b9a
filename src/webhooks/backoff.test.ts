import { describe, expect, it } from 'vitest'
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js'

const mid = () => 0.5

describe('backoffDelayMs', () => {
  it('triples from 3 s with no jitter at the midpoint of the random source', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, mid))).toEqual([3000, 9000, 27_000, 81_000, 243_000, 729_000, 2_187_000])
  })

  it('spreads 8 attempts over about an hour by default', () => {
    const total = [1, 2, 3, 4, 5, 6, 7].reduce((sum, n) => sum + backoffDelayMs(n, mid), 0)
    expect(total / 60_000).toBeGreaterThan(50)
    expect(total / 60_000).toBeLessThan(65)
  })

  it('moves each wait by at most ±20 % with the random source', () => {
    expect(backoffDelayMs(2, () => 0)).toBe(7200)
    expect(backoffDelayMs(2, () => 0.999999)).toBe(10_800)
  })

  it('never waits longer than maxDelayMs, jitter included', () => {
    expect(backoffDelayMs(30, () => 1)).toBe(DEFAULT_BACKOFF.maxDelayMs)
    expect(backoffDelayMs(2, mid, { ...DEFAULT_BACKOFF, maxDelayMs: 5000 })).toBe(5000)
  })

  it('scales with the configured base', () => {
    expect(backoffDelayMs(3, mid, { ...DEFAULT_BACKOFF, baseMs: 100 })).toBe(900)
  })
})
