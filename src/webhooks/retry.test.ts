import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKOFF } from './backoff.js'
import { nextStep, type RetryPolicy } from './retry.js'

const policy: RetryPolicy = { maxAttempts: 8, maxAgeMs: 3_600_000, backoff: DEFAULT_BACKOFF, random: () => 0.5 }
const fail = { ok: false, status: 500, durationMs: 1 }

describe('nextStep', () => {
  it('is done on success', () => {
    expect(nextStep({ ok: true, status: 204, durationMs: 1 }, { attempts: 1, createdAt: 0 }, 0, policy)).toEqual({ kind: 'delivered' })
  })

  it('retries a failure after the backoff for its attempt number', () => {
    expect(nextStep(fail, { attempts: 2, createdAt: 0 }, 1000, policy)).toEqual({ kind: 'retry', atMs: 1000 + 9000 })
  })

  it('waits as long as Retry-After asks instead', () => {
    expect(nextStep({ ...fail, status: 429, retryInMs: 120_000 }, { attempts: 1, createdAt: 0 }, 0, policy)).toEqual({ kind: 'retry', atMs: 120_000 })
  })

  it('marks the message dead after the last attempt', () => {
    expect(nextStep(fail, { attempts: 8, createdAt: 0 }, 0, policy)).toEqual({ kind: 'dead' })
  })

  it('marks the message dead when the next try would be past maxAge', () => {
    expect(nextStep(fail, { attempts: 1, createdAt: 0 }, 3_598_000, policy)).toEqual({ kind: 'dead' })
  })

  it('reports 410 Gone even on the last attempt, so the hook is disabled', () => {
    expect(nextStep({ ok: false, status: 410, gone: true, durationMs: 1 }, { attempts: 8, createdAt: 0 }, 0, policy)).toEqual({ kind: 'gone' })
  })
})
