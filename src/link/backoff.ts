/** Reconnect delays for the link: the one backoff function (src/util/backoff.ts), so many homes cut off together do not return together. */
import { exponentialDelayMs } from '../util/backoff.js'

/** A random point in the upper half of the delay. */
const EQUAL_JITTER = { min: 0.5, max: 1 }

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
  return Math.round(
    exponentialDelayMs(attempt + 1, { baseMs: policy.minDelayMs, factor: 2, maxDelayMs: policy.maxDelayMs, jitter: EQUAL_JITTER }, random),
  )
}
