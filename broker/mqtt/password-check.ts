/**
 * Password checks for MQTT CONNECT that stay cheap under reconnect storms.
 *
 * verifyPassword is PBKDF2 (~0.3 s of CPU on a Raspberry Pi, run on libuv's 4-thread pool, which
 * LevelDB shares). A house full of devices reconnecting after a Wi-Fi blip, or one device with a stale
 * password retrying every second, must not pay that each time, nor starve the broker's storage I/O.
 * So:
 * - a success is remembered per username as an HMAC of the password under a per-process random key
 *   (fast, useless to anyone reading memory without the key) plus the stored hash it was checked
 *   against, so a changed password in the directory invalidates it;
 * - a failure is remembered the same way for `failureTtlMs`;
 * - identical checks in flight share one PBKDF2 run, and at most `maxConcurrent` run at once;
 * - comparisons are constant time (crypto.timingSafeEqual over equal-length digests).
 * Passwords are never stored or logged.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { verifyPassword } from '../../src/auth/password.js'

export interface PasswordCheckOptions {
  /** Usernames remembered after a successful check. */
  maxEntries?: number
  /** How long a wrong password is answered from memory. */
  failureTtlMs?: number
  /** PBKDF2 runs at once. */
  maxConcurrent?: number
  now?: () => number
  verify?: (password: string, storedHash: string) => Promise<boolean>
}

interface Remembered {
  storedHash: string
  digest: Buffer
}

interface Refused extends Remembered {
  expiresAtMs: number
}

export class PasswordCheck {
  /** Slow verifications actually run, for tests and metrics. */
  verifications = 0
  private readonly key = randomBytes(32)
  private readonly verified = new Map<string, Remembered>()
  private readonly refused = new Map<string, Refused>()
  private readonly inFlight = new Map<string, Promise<boolean>>()
  private readonly waiters: (() => void)[] = []
  private running = 0
  private readonly maxEntries: number
  private readonly failureTtlMs: number
  private readonly maxConcurrent: number
  private readonly now: () => number
  private readonly verify: (password: string, storedHash: string) => Promise<boolean>

  constructor(options: PasswordCheckOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.failureTtlMs = options.failureTtlMs ?? 60_000
    this.maxConcurrent = options.maxConcurrent ?? 2
    this.now = options.now ?? Date.now
    this.verify = options.verify ?? verifyPassword
  }

  /** Whether `password` matches `storedHash` (a `pbkdf2-sha256$...` string) for `username`. */
  async check(username: string, password: Uint8Array, storedHash: string): Promise<boolean> {
    const digest = createHmac('sha256', this.key).update(username).update('\0').update(password).digest()
    const known = this.verified.get(username)
    if (known && known.storedHash === storedHash && timingSafeEqual(known.digest, digest)) {
      // Map order is insertion order: re-insert to keep recently used users away from eviction.
      this.verified.delete(username)
      this.verified.set(username, known)
      return true
    }
    const refusalKey = `${username}\0${digest.toString('hex')}`
    const refusal = this.refused.get(refusalKey)
    if (refusal && refusal.storedHash === storedHash && refusal.expiresAtMs > this.now()) return false

    const flightKey = `${refusalKey}\0${storedHash}`
    let pending = this.inFlight.get(flightKey)
    if (!pending) {
      pending = this.slowCheck(Buffer.from(password).toString('utf8'), storedHash).finally(() => this.inFlight.delete(flightKey))
      this.inFlight.set(flightKey, pending)
    }
    const ok = await pending
    if (ok) {
      this.verified.delete(username)
      this.verified.set(username, { storedHash, digest })
      this.evict(this.verified)
    } else {
      this.refused.set(refusalKey, { storedHash, digest, expiresAtMs: this.now() + this.failureTtlMs })
      this.evict(this.refused)
    }
    return ok
  }

  private async slowCheck(password: string, storedHash: string): Promise<boolean> {
    await this.acquire()
    try {
      this.verifications++
      return await this.verify(password, storedHash)
    } catch {
      return false
    } finally {
      this.release()
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.running--
  }

  private evict(map: Map<string, unknown>): void {
    while (map.size > this.maxEntries) map.delete(map.keys().next().value!)
  }
}
