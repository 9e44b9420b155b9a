/** Checks the extra headers a user attaches to a webhook. Pure; returns a reason instead of throwing. */

/** Headers Postbridge sets itself: a user value would break signing, framing or the connection. */
const RESERVED = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'host',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
])
const MAX_HEADERS = 32
const MAX_VALUE_LENGTH = 8192
/** RFC 9110 §5.6.2 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

export function checkHeaders(headers: Record<string, string>): string | undefined {
  const names = Object.keys(headers)
  if (names.length > MAX_HEADERS) return `at most ${MAX_HEADERS} headers`
  const seen = new Set<string>()
  for (const name of names) {
    const lower = name.toLowerCase()
    if (!TOKEN.test(name)) return `"${name}" is not a valid header name`
    if (seen.has(lower)) return `header "${name}" is given twice`
    seen.add(lower)
    if (RESERVED.has(lower) || lower.startsWith('webhook-')) return `header "${name}" is set by Postbridge`
    const value = headers[name]!
    // CR, LF and NUL would split or corrupt the request (header injection).
    if (/[\r\n\0]/.test(value)) return `header "${name}" holds a line break or NUL`
    // RFC 9110 §5.5: a field value is visible ASCII, obs-text (0x80-0xFF), space and tab; fetch refuses anything
    // else, so every delivery would fail.
    if (/[\x01-\x08\x0b-\x1f\x7f]/.test(value)) return `header "${name}" holds a control character`
    if (/[^\x00-\xff]/.test(value)) return `header "${name}" holds a character outside Latin-1`
    if (value.length > MAX_VALUE_LENGTH) return `header "${name}" is longer than ${MAX_VALUE_LENGTH} characters`
  }
  return undefined
}
