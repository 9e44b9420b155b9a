import { describe, expect, it } from 'vitest'
import { reconnectDelayMs } from './backoff.js'

const policy = { minDelayMs: 1000, maxDelayMs: 60_000 }

describe('reconnectDelayMs', () => {
  it('waits between half the ceiling and the ceiling, the ceiling doubling per attempt', () => {
    expect(reconnectDelayMs(0, policy, () => 0)).toBe(500)
    expect(reconnectDelayMs(0, policy, () => 1)).toBe(1000)
    expect(reconnectDelayMs(3, policy, () => 0)).toBe(4000)
    expect(reconnectDelayMs(3, policy, () => 1)).toBe(8000)
  })
  it('never waits longer than the maximum, however many attempts', () => {
    expect(reconnectDelayMs(10, policy, () => 1)).toBe(60_000)
    expect(reconnectDelayMs(10_000, policy, () => 1)).toBe(60_000)
  })
  it('spreads the waits of homes retrying together (jitter)', () => {
    const seen = new Set(Array.from({ length: 20 }, () => reconnectDelayMs(4, policy)))
    expect(seen.size).toBeGreaterThan(1)
  })
})
