/** When to try a webhook delivery again: the one backoff function (src/util/backoff.ts) with the webhook schedule. */
import { exponentialDelayMs } from '../util/backoff.js'

export interface BackoffOptions {
  /** Delay before the second attempt, before jitter. */
  baseMs: number
  /** Each next delay is this many times the previous one. */
  factor: number
  /** No single wait is longer than this, however many attempts are allowed. */
  maxDelayMs: number
  /** ±fraction of the delay, drawn from `random`: spreads retries so receivers coming back are not hit all at once. */
  jitter: number
}

/**
 * The default schedule: 3 s, 9 s, 27 s, 81 s, 4 min, 12 min, 36 min (±20 %), so the 8th and last attempt
 * comes about 55 minutes after the first.
 */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 3000, factor: 3, maxDelayMs: 3_600_000, jitter: 0.2 }

/**
 * The wait after the `failedAttempts`-th failed attempt (1 for the first failure).
 * @example backoffDelayMs(1, () => 0.5) // 3000: no jitter at the midpoint
 */
export function backoffDelayMs(failedAttempts: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const { jitter, ...growth } = options
  return Math.round(exponentialDelayMs(failedAttempts, { ...growth, jitter: { min: 1 - jitter, max: 1 + jitter } }, random))
}
