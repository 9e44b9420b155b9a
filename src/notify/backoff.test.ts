import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY, isRetryableStatus, retryDelayMs } from './backoff.js'

describe('retryDelayMs', () => {
  const policy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60_000 }
  it('doubles per attempt, between half and all of the exponential step', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(a, policy, 0))).toEqual([500, 1000, 2000])
    expect([1, 2, 3].map((a) => retryDelayMs(a, policy, 0.999999))).toEqual([1000, 2000, 4000])
  })
  it('is capped', () => {
    expect(retryDelayMs(30, policy, 0.999999)).toBe(60_000)
  })
  it('waits at least what Retry-After asks, up to the cap', () => {
    expect(retryDelayMs(1, policy, 0, 30_000)).toBe(30_000)
    expect(retryDelayMs(1, policy, 0, 10 * 60_000)).toBe(60_000)
  })
  it('gives up within minutes by default', () => {
    let total = 0
    for (let a = 1; a < DEFAULT_RETRY.maxAttempts; a++) total += retryDelayMs(a, DEFAULT_RETRY, 0.999999)
    expect(total).toBeLessThan(15 * 60_000)
  })
})

describe('isRetryableStatus', () => {
  it('retries 5xx, 408 and 429, not other 4xx', () => {
    expect([500, 502, 503, 408, 429].every(isRetryableStatus)).toBe(true)
    expect([400, 401, 403, 404].some(isRetryableStatus)).toBe(false)
  })
})
