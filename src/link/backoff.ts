/** Reconnect delays for the link: exponential with jitter, so many homes cut off together do not return together. */

export interface BackoffPolicy {
  /** The first retry waits between half of this and this. */
  minDelayMs: number
  /** No wait is longer than this. */
  maxDelayMs: number
}

/** A 1 s start doubles to a 60 s ceiling in about six attempts: quick after a blip, gentle during an outage. */
export const LINK_BACKOFF: BackoffPolicy = { minDelayMs: 1000, maxDelayMs: 60_000 }

/**
 * The wait before reconnect attempt `attempt` (0 for the first): "equal jitter", a random point in the upper
 * half of min(max, min * 2^attempt), so the wait grows but never collapses to zero.
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy = LINK_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(attempt, 30))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
