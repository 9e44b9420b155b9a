/** The one Retry-After reader, for webhook deliveries and phone alerts alike. */

/**
 * The longest wait a Retry-After may ask for: beyond a day it is taken as a day. Callers clamp further to their own
 * policy (an alert retry waits at most its `maxDelayMs`; a webhook's attempt and age limits still apply).
 */
export const MAX_RETRY_AFTER_MS = 86_400_000

/**
 * Delta-seconds or an HTTP date (RFC 9110 §10.2.3), as milliseconds from `nowMs`, clamped to [0, 1 day]; undefined
 * when absent or unreadable.
 * @example parseRetryAfter('30', now) // 30000; parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', Date.parse('2026-01-01')) // 60000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined
  const trimmed = value.trim()
  let ms: number
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000
  else {
    // An HTTP date starts with the day name; Date.parse alone would take "-5" for the year -5.
    if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined
    const at = Date.parse(trimmed)
    if (Number.isNaN(at)) return undefined
    ms = at - nowMs
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms))
}
