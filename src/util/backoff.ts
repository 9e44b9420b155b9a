/**
 * The one backoff function: exponential growth to a ceiling, with jitter, for webhook retries, alert retries and the
 * link's reconnects (each keeps its own policy). Pure; the random source is injected so tests are exact.
 */

export interface ExponentialBackoff {
  /** The delay after the first failure, before jitter. */
  baseMs: number
  /** Each next delay is this many times the previous one. */
  factor: number
  /** No wait is longer than this. */
  maxDelayMs: number
  /**
   * The wait is drawn between these shares of the capped exponential delay: [0.5, 1] is "equal jitter" (it grows but
   * never collapses to zero), [0.8, 1.2] is ±20 %. Jitter spreads retries so a receiver coming back is not hit at once.
   */
  jitter: { min: number; max: number }
}

/**
 * The wait after the `failedAttempts`-th failure (1 for the first), in ms, not rounded.
 * @example exponentialDelayMs(3, { baseMs: 1000, factor: 2, maxDelayMs: 60_000, jitter: { min: 0.5, max: 1 } }, () => 1) // 4000
 */
export function exponentialDelayMs(failedAttempts: number, policy: ExponentialBackoff, random: () => number): number {
  const exponent = Math.max(0, failedAttempts - 1)
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * policy.factor ** exponent)
  const share = policy.jitter.min + (policy.jitter.max - policy.jitter.min) * random()
  return Math.max(0, Math.min(policy.maxDelayMs, ceiling * share))
}
