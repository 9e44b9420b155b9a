/** Counts what is open (SSE streams, /v1/request waits) per token and in total, and refuses past a cap. */
import type { ApiError } from '../errors.js'

export interface SlotCaps {
  total: number
  perToken: number
}

export class Slots {
  private open = 0
  private readonly byToken = new Map<string, number>()

  constructor(private readonly refusals: { perToken: ApiError; total: ApiError; retryAfterS: number }) {}

  get size(): number {
    return this.open
  }

  /** Takes a slot for the token, or throws the per-token (429) or total (503) problem with Retry-After. The release is idempotent. */
  acquire(tokenId: string, caps: SlotCaps): () => void {
    const mine = this.byToken.get(tokenId) ?? 0
    const retry = { retryAfter: this.refusals.retryAfterS }
    if (mine >= caps.perToken) throw this.refusals.perToken.with(`at most ${caps.perToken} per token`, retry)
    if (this.open >= caps.total) throw this.refusals.total.with(`at most ${caps.total} at once`, retry)
    this.open++
    this.byToken.set(tokenId, mine + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.open--
      const left = (this.byToken.get(tokenId) ?? 1) - 1
      if (left > 0) this.byToken.set(tokenId, left)
      else this.byToken.delete(tokenId)
    }
  }
}

/** The open-resource counters of one app. */
export interface ApiSlots {
  streams: Slots
  requests: Slots
}
