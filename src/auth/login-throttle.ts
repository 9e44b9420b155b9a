/**
 * Failed logins, counted per key (a source address, a username) over a rolling window: after
 * `backoffAfter` failures each attempt waits (250 ms, doubling, up to 8 s), after `refuseAfter` it is
 * refused outright (MQTT: CONNACK 0x9F Connection rate exceeded, 0x05 for 3.1.1). A success clears
 * the username's count, never the address's (one good account must not unlock guessing at others).
 * Pure: time comes in as `now`, memory is bounded by `maxKeys` (the oldest keys go first).
 */

export interface LoginThrottleOptions {
  backoffAfter: number
  refuseAfter: number
  windowMs: number
  /** Keys remembered at once. */
  maxKeys?: number
  /** The first wait; it doubles with each further failure. */
  baseDelayMs?: number
  maxDelayMs?: number
}

export type LoginVerdict = { kind: 'go' } | { kind: 'wait'; ms: number } | { kind: 'refuse' }

interface Failures {
  count: number
  /** When the oldest failure still counted happened. */
  sinceMs: number
}

export const LOGIN_BASE_DELAY_MS = 250
export const LOGIN_MAX_DELAY_MS = 8000

export class LoginThrottle {
  private readonly failures = new Map<string, Failures>()
  private readonly maxKeys: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number

  constructor(private readonly options: LoginThrottleOptions) {
    this.maxKeys = options.maxKeys ?? 10_000
    this.baseDelayMs = options.baseDelayMs ?? LOGIN_BASE_DELAY_MS
    this.maxDelayMs = options.maxDelayMs ?? LOGIN_MAX_DELAY_MS
  }

  /** What to do with an attempt under these keys: the strictest verdict of any of them. */
  verdict(keys: readonly string[], now: number): LoginVerdict {
    let worst = 0
    for (const key of keys) worst = Math.max(worst, this.count(key, now))
    if (worst >= this.options.refuseAfter) return { kind: 'refuse' }
    if (worst >= this.options.backoffAfter) {
      return { kind: 'wait', ms: Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (worst - this.options.backoffAfter)) }
    }
    return { kind: 'go' }
  }

  failed(keys: readonly string[], now: number): void {
    for (const key of keys) {
      const current = this.failures.get(key)
      const live = current && now - current.sinceMs < this.options.windowMs ? current : { count: 0, sinceMs: now }
      this.failures.delete(key)
      this.failures.set(key, { count: live.count + 1, sinceMs: live.sinceMs })
    }
    while (this.failures.size > this.maxKeys) this.failures.delete(this.failures.keys().next().value!)
  }

  /** Whether this key has failures in the window. */
  failing(key: string, now: number): boolean {
    return this.count(key, now) > 0
  }

  /** A successful login clears this key (pass the username's). */
  succeeded(key: string): void {
    this.failures.delete(key)
  }

  private count(key: string, now: number): number {
    const f = this.failures.get(key)
    if (!f) return 0
    if (now - f.sinceMs >= this.options.windowMs) {
      this.failures.delete(key)
      return 0
    }
    return f.count
  }
}
