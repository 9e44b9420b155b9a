/** One page of GET /v1/retained?filter=: topics in order after a cursor, up to a count and a byte cap. */
import { errInvalidRequest } from '../errors.js'
import { toEnvelope, type MessageEnvelope } from '../message.js'
import type { Message } from '../ports/types.js'
import { fromBase64, toBase64Url, tryDecodeUtf8, utf8 } from '../util/bytes.js'

export interface RetainedPage {
  messages: MessageEnvelope[]
  /** Pass as `cursor` for the next page; absent on the last. */
  next?: string
}

/** The cursor is the last topic of a page, base64url: opaque to clients, stable across changes to the retained set. */
export function encodeCursor(topicName: string): string {
  return toBase64Url(utf8(topicName))
}

export function decodeCursor(cursor: string): string {
  const bytes = /^[A-Za-z0-9_-]{1,87400}$/.test(cursor) ? fromBase64(cursor) : undefined
  const topic = bytes && tryDecodeUtf8(bytes)
  if (topic === undefined || topic === '') throw errInvalidRequest.with('cursor is not one this API gave')
  return topic
}

/** About the bytes a message takes as a JSON envelope (base64 payloads grow by a third). */
function envelopeBytes(m: Message): number {
  return Math.ceil((m.payload.byteLength * 4) / 3) + m.topic.length + 200
}

/**
 * Collects one page from messages offered in any order: the smallest topics after `after` (code-unit order), at most
 * `limit`, within about maxBytes of envelopes (a page always holds one message). It holds no more than the page,
 * so a bus can stream every retained message through it.
 */
export class PageCollector {
  private readonly page: Message[] = []
  private bytes = 0
  private more = false

  constructor(private readonly opts: { after?: string; limit: number; maxBytes: number }) {}

  offer(m: Message): void {
    if (this.opts.after !== undefined && !(m.topic > this.opts.after)) return
    let lo = 0
    let hi = this.page.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.page[mid]!.topic < m.topic) lo = mid + 1
      else hi = mid
    }
    this.page.splice(lo, 0, m)
    this.bytes += envelopeBytes(m)
    while (this.page.length > this.opts.limit || (this.page.length > 1 && this.bytes > this.opts.maxBytes)) {
      this.bytes -= envelopeBytes(this.page.pop()!)
      this.more = true
    }
  }

  result(): RetainedPage {
    const messages = this.page.map(toEnvelope)
    return this.more && messages.length > 0 ? { messages, next: encodeCursor(messages[messages.length - 1]!.topic) } : { messages }
  }
}
