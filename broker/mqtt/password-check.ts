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
 * - comparisons are constant time (crypto.timingSafeEqual over equal-length digests);
 * - the checks waiting for a run are bounded (`maxPending` in all, `maxPendingPerLane` per source
 *   address) and served round-robin across source addresses, so a flood from one address delays
 *   another address's login by a run or two, not by the whole flood; a check whose connection has
 *   closed by its turn is dropped without running;
 * - checks from a source that failed lately never hold the last run slot, so a device with a clean
 *   record starts its check at once even while a flood keeps the others busy.
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
  /** Checks waiting for a run, in all; beyond it an attempt is answered 'busy'. */
  maxPending?: number
  /** Checks waiting for a run from one lane (source address). */
  maxPendingPerLane?: number
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

/** How an attempt ended: 'busy' when the queue was full, 'gone' when its connection closed before its turn. */
export type CheckResult = 'ok' | 'wrong' | 'busy' | 'gone'

export interface AttemptOptions {
  /** Whose queue the check waits in (the source address). */
  lane?: string
  /** Asked when the check's turn comes: false drops it without running. */
  isAlive?: () => boolean
  /** Asked when the check's turn comes: true (its source failed lately) keeps it out of the reserved slot. */
  isSuspect?: () => boolean
}

interface Waiter {
  start(suspect: boolean): void
  isAlive: () => boolean
  isSuspect: () => boolean
  drop(): void
}

/** Default per-lane bound: a quarter of the whole queue, at least 2. */
const lanePending = (maxPending: number) => Math.max(2, Math.floor(maxPending / 4))

export class PasswordCheck {
  /** Slow verifications actually run, for tests and metrics. */
  verifications = 0
  private readonly key = randomBytes(32)
  private readonly verified = new Map<string, Remembered>()
  private readonly refused = new Map<string, Refused>()
  private readonly inFlight = new Map<string, Promise<boolean | undefined>>()
  /** Waiting checks by lane; Map order is the round-robin order. */
  private readonly lanes = new Map<string, Waiter[]>()
  private pending = 0
  private running = 0
  private runningSuspect = 0
  private readonly maxPending: number
  private readonly maxPendingPerLane: number
  private readonly maxEntries: number
  private readonly failureTtlMs: number
  private readonly maxConcurrent: number
  private readonly now: () => number
  private readonly verify: (password: string, storedHash: string) => Promise<boolean>

  constructor(options: PasswordCheckOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.failureTtlMs = options.failureTtlMs ?? 60_000
    this.maxConcurrent = options.maxConcurrent ?? 2
    this.maxPending = options.maxPending ?? 64
    this.maxPendingPerLane = options.maxPendingPerLane ?? lanePending(this.maxPending)
    this.now = options.now ?? Date.now
    this.verify = options.verify ?? verifyPassword
  }

  /** Whether `password` matches `storedHash` (a `pbkdf2-sha256$...` string) for `username`. */
  async check(username: string, password: Uint8Array, storedHash: string): Promise<boolean> {
    return (await this.attempt(username, password, storedHash)) === 'ok'
  }

  /** What is known without a slow run: true or false from memory, undefined when a run is needed. */
  remembered(username: string, password: Uint8Array, storedHash: string): boolean | undefined {
    const digest = this.digestOf(username, password)
    const known = this.verified.get(username)
    if (known && known.storedHash === storedHash && timingSafeEqual(known.digest, digest)) return true
    const refusal = this.refused.get(`${username}\0${digest.toString('hex')}`)
    if (refusal && refusal.storedHash === storedHash && refusal.expiresAtMs > this.now()) return false
    return undefined
  }

  private digestOf(username: string, password: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(username).update('\0').update(password).digest()
  }

  /** check(), with the queue's answers: 'busy' (queue full) and 'gone' (connection closed before its turn). */
  async attempt(username: string, password: Uint8Array, storedHash: string, options: AttemptOptions = {}): Promise<CheckResult> {
    const digest = this.digestOf(username, password)
    const known = this.verified.get(username)
    if (known && known.storedHash === storedHash && timingSafeEqual(known.digest, digest)) {
      // Map order is insertion order: re-insert to keep recently used users away from eviction.
      this.verified.delete(username)
      this.verified.set(username, known)
      return 'ok'
    }
    const refusalKey = `${username}\0${digest.toString('hex')}`
    const refusal = this.refused.get(refusalKey)
    if (refusal && refusal.storedHash === storedHash && refusal.expiresAtMs > this.now()) return 'wrong'

    const flightKey = `${refusalKey}\0${storedHash}`
    let pending = this.inFlight.get(flightKey)
    if (!pending) {
      const lane = options.lane ?? ''
      if (this.pending >= this.maxPending || (this.lanes.get(lane)?.length ?? 0) >= this.maxPendingPerLane) return 'busy'
      const waiter = { isAlive: options.isAlive ?? (() => true), isSuspect: options.isSuspect ?? (() => false) }
      pending = this.slowCheck(Buffer.from(password).toString('utf8'), storedHash, lane, waiter).finally(() => this.inFlight.delete(flightKey))
      this.inFlight.set(flightKey, pending)
    }
    const ok = await pending
    if (ok === undefined) return 'gone'
    if (ok) {
      this.verified.delete(username)
      this.verified.set(username, { storedHash, digest })
      this.evict(this.verified)
    } else {
      this.refused.set(refusalKey, { storedHash, digest, expiresAtMs: this.now() + this.failureTtlMs })
      this.evict(this.refused)
    }
    return ok ? 'ok' : 'wrong'
  }

  /** Checks waiting for a run now. */
  get waiting(): number {
    return this.pending
  }

  /** undefined: the connection closed before its turn, nothing ran. */
  private async slowCheck(
    password: string,
    storedHash: string,
    lane: string,
    waiter: Pick<Waiter, 'isAlive' | 'isSuspect'>,
  ): Promise<boolean | undefined> {
    const suspect = await this.acquire(lane, waiter)
    if (suspect === undefined) return undefined
    try {
      this.verifications++
      return await this.verify(password, storedHash)
    } catch {
      return false
    } finally {
      this.release(suspect)
    }
  }

  /** Suspect checks may hold all run slots but one (all of them when there is only one). */
  private get suspectSlots(): number {
    return Math.max(1, this.maxConcurrent - 1)
  }

  private mayStart(suspect: boolean): boolean {
    return this.running < this.maxConcurrent && (!suspect || this.runningSuspect < this.suspectSlots)
  }

  /** Resolves with whether the run that got a slot counts as suspect, or undefined when it was dropped (connection gone). */
  private acquire(lane: string, waiter: Pick<Waiter, 'isAlive' | 'isSuspect'>): Promise<boolean | undefined> {
    // A free slot with checks waiting means they are all suspect and held back: a clean check takes it.
    const suspect = waiter.isSuspect()
    if (this.mayStart(suspect) && (this.pending === 0 || !suspect)) {
      this.occupy(suspect)
      return Promise.resolve(suspect)
    }
    return new Promise((resolve) => {
      const queue = this.lanes.get(lane) ?? []
      if (queue.length === 0) this.lanes.set(lane, queue)
      queue.push({ ...waiter, start: (suspect) => resolve(suspect), drop: () => resolve(undefined) })
      this.pending++
    })
  }

  private occupy(suspect: boolean): void {
    this.running++
    if (suspect) this.runningSuspect++
  }

  /** Hands freed slots to the next live waiters, one lane after another (round-robin). */
  private release(suspect: boolean): void {
    this.running--
    if (suspect) this.runningSuspect--
    // Each lane's head is looked at once per pass; a pass that starts nobody ends the loop.
    let progressed = true
    while (progressed && this.running < this.maxConcurrent && this.pending > 0) {
      progressed = false
      for (const [lane, queue] of [...this.lanes]) {
        if (this.running >= this.maxConcurrent) break
        const head = queue[0]!
        const alive = head.isAlive()
        const headSuspect = alive && head.isSuspect()
        if (alive && !this.mayStart(headSuspect)) continue
        queue.shift()
        this.pending--
        // The lane goes to the back of the round (or away when empty).
        this.lanes.delete(lane)
        if (queue.length > 0) this.lanes.set(lane, queue)
        progressed = true
        if (!alive) {
          head.drop()
          continue
        }
        this.occupy(headSuspect)
        head.start(headSuspect)
      }
    }
  }

  private evict(map: Map<string, unknown>): void {
    while (map.size > this.maxEntries) map.delete(map.keys().next().value!)
  }
}
