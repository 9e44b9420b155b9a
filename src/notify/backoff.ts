/** When to try an alert again, and whether to. Pure; the delay is the one backoff function's (src/util/backoff.ts). */
import { exponentialDelayMs } from '../util/backoff.js'

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/**
 * 8 attempts over ~8 minutes: long enough to ride out a router reboot or a provider's brief outage, short enough
 * that an alert is still worth reading when it arrives.
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 2000, maxDelayMs: 5 * 60_000 }

/**
 * Delay before attempt `attempt + 1`: exponential with "equal jitter" (half fixed, half random), so a provider
 * coming back is not hit by every queued alert in the same second. `random` is in [0, 1).
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: number, retryAfterMs?: number): number {
  const jittered = exponentialDelayMs(
    attempt,
    { baseMs: policy.baseDelayMs, factor: 2, maxDelayMs: policy.maxDelayMs, jitter: { min: 0.5, max: 1 } },
    () => random,
  )
  // A provider's own Retry-After wins when it asks for longer (429 from Telegram or Pushover).
  return Math.round(retryAfterMs !== undefined ? Math.max(jittered, Math.min(retryAfterMs, policy.maxDelayMs)) : jittered)
}

/** 5xx, 408 and 429 may pass later; other 4xx (bad token, unknown chat) will not, however often we try. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}
