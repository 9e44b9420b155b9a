/** When to try again: exponential backoff with jitter. Pure; the random source is injected so tests are exact. */

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
  const exponent = Math.max(0, failedAttempts - 1)
  const raw = Math.min(options.maxDelayMs, options.baseMs * options.factor ** exponent)
  const spread = 1 + options.jitter * (2 * random() - 1)
  return Math.max(0, Math.round(Math.min(options.maxDelayMs, raw * spread)))
}
