/**
 * ACL refusals a user can follow without drowning in them: each refusal is logged at debug, and at warn the first
 * time a (what, user, topic) comes up in a window, with how many were left out since. A device retrying a denied
 * publish every second makes one warn line a minute, not sixty.
 */
import type { Logger } from '../../src/ports/logger.js'

export type RefusalKind = 'publish' | 'subscribe' | 'deliver'

export interface Refusal {
  clientId: string
  username?: string
  topic: string
}

const MESSAGES: Record<RefusalKind, string> = {
  publish: 'mqtt publish denied',
  subscribe: 'mqtt subscribe denied',
  deliver: 'mqtt delivery outside the ACL dropped',
}

/** Keys remembered at once: a client cycling through random topics cannot grow the map without bound. */
const MAX_KEYS = 1000

export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly log: Logger,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(kind: RefusalKind, r: Refusal): void {
    const fields = { clientId: r.clientId, ...(r.username !== undefined ? { username: r.username } : {}), topic: r.topic }
    this.log.debug(fields, MESSAGES[kind])
    const key = `${kind}\u0000${r.username ?? ''}\u0000${r.topic}`
    const now = this.now()
    const seen = this.last.get(key)
    if (seen && now - seen.at < this.windowMs) {
      seen.suppressed++
      return
    }
    if (!seen && this.last.size >= MAX_KEYS) this.last.delete(this.last.keys().next().value!)
    this.last.set(key, { at: now, suppressed: 0 })
    this.log.warn({ ...fields, ...(seen?.suppressed ? { alsoRefusedSinceLastLog: seen.suppressed } : {}) }, MESSAGES[kind])
  }
}
