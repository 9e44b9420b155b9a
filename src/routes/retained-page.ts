/** One page of GET /v1/retained?filter=: topics in order after a cursor, up to a count and a byte cap. */
import { errInvalidRequest } from '../errors.js'
import { toEnvelope, type MessageEnvelope } from '../message.js'
import type { Message } from '../ports.js'
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

/**
 * Takes messages with a topic after `after` (code-unit order), at most `limit`, and stops before the envelopes pass
 * maxBytes, except that a page always holds one message (one is never larger than the broker's packet limit).
 */
export function retainedPage(messages: Message[], opts: { after?: string; limit: number; maxBytes: number }): RetainedPage {
  const sorted = [...messages].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
  const after = opts.after
  const start = after === undefined ? 0 : sorted.findIndex((m) => m.topic > after)
  const page: MessageEnvelope[] = []
  let bytes = 0
  let i = start < 0 ? sorted.length : start
  for (; i < sorted.length && page.length < opts.limit; i++) {
    const envelope = toEnvelope(sorted[i]!)
    const size = envelope.payload.length + envelope.topic.length + 200
    if (page.length > 0 && bytes + size > opts.maxBytes) break
    page.push(envelope)
    bytes += size
  }
  return i < sorted.length && page.length > 0 ? { messages: page, next: encodeCursor(page[page.length - 1]!.topic) } : { messages: page }
}
