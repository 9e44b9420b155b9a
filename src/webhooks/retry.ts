/** What happens to an outbox row after an attempt: done, retried later, dead, or the hook disabled. Pure. */
import { backoffDelayMs, type BackoffOptions } from './backoff.js'
import type { DeliveryResult } from './deliver.js'

export interface RetryPolicy {
  maxAttempts: number
  /** Age after which a message is dead whatever attempts are left: nobody wants last week's door event. */
  maxAgeMs: number
  backoff: BackoffOptions
  random: () => number
}

export type NextStep =
  | { kind: 'delivered' }
  /** 410 Gone: disable the hook; the row stays pending for when someone enables it again. */
  | { kind: 'gone' }
  | { kind: 'retry'; atMs: number }
  | { kind: 'dead' }

/**
 * Decides from one attempt's result. `attempts` counts this attempt (1 after the first).
 * @example nextStep({ ok: false, status: 500, durationMs: 3 }, { attempts: 8, createdAt: 0 }, 0, policy) // dead when maxAttempts is 8
 */
export function nextStep(result: DeliveryResult, entry: { attempts: number; createdAt: number }, nowMs: number, policy: RetryPolicy): NextStep {
  if (result.ok) return { kind: 'delivered' }
  if (result.gone) return { kind: 'gone' }
  if (entry.attempts >= policy.maxAttempts) return { kind: 'dead' }
  const delay = result.retryInMs ?? backoffDelayMs(entry.attempts, policy.random, policy.backoff)
  const atMs = nowMs + delay
  if (atMs - entry.createdAt > policy.maxAgeMs) return { kind: 'dead' }
  return { kind: 'retry', atMs }
}
