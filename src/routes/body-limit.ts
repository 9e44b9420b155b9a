/**
 * Bounds every JSON body before it is buffered: a declared Content-Length over the limit is a 413 before a byte is
 * read, and a streamed body is read only up to the limit (then the read is cancelled, and the server stops reading).
 * The routes whose body is the payload (raw publish, request) keep their own limit, http.maxPayloadBytes.
 */
import { errInvalidRequest, errPayloadTooLarge } from '../errors.js'
import { fullLimits } from '../limits/defaults.js'
import { readBodyLimited } from './body.js'
import type { AppContext } from './env.js'

const JSON_MEDIA = /^application\/([\w.-]+\+)?json$/i
const BULK_PATH = '/v1/publish/bulk'

/** Routes whose body is an MQTT payload, limited by maxPayloadBytes where they read it. */
function isPayloadRoute(path: string): boolean {
  return (path.startsWith('/v1/publish/') && path !== BULK_PATH) || path.startsWith('/v1/request/')
}

/**
 * Bounds the body of an API request before a route reads it. Undefined when there is nothing to bound (no promise
 * for the many requests that step past), else a promise that settles once the body is read and cached for the route.
 */
export function limitBody(c: AppContext): Promise<void> | undefined {
  const method = c.req.method
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || isPayloadRoute(c.req.path)) return undefined
  const limits = fullLimits(c.get('deps').limits)
  const bulk = c.req.path === BULK_PATH
  const maxBytes = bulk ? limits.maxBulkBytes : limits.maxJsonBytes
  const declared = c.req.header('content-length')
  if (declared !== undefined && !(Number(declared) <= maxBytes)) {
    throw errPayloadTooLarge.with(`a JSON body is limited to ${maxBytes} bytes`, { limitBytes: maxBytes })
  }
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim()
  // Other media types are refused by the route's validator without reading the body.
  if (!JSON_MEDIA.test(mediaType) || !c.req.raw.body) return undefined
  return readBodyLimited(c.req.raw, maxBytes).then((bytes) => {
    const text = new TextDecoder().decode(bytes)
    // The route's validator reads the body through this cache instead of the (now consumed) stream.
    // (Hono keeps promises there, though its type says string.)
    c.req.bodyCache.text = Promise.resolve(text) as never
    if (bulk) checkBulkCount(text, limits.maxBulk)
  })
}

/** Counts the batch before any element is validated, so a huge array of junk costs one parse, not a million errors. */
function checkBulkCount(text: string, maxBulk: number): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return // the validator answers malformed JSON
  }
  if (!Array.isArray(parsed)) return
  if (parsed.length === 0) throw errInvalidRequest.with('the batch is empty')
  if (parsed.length > maxBulk) throw errInvalidRequest.with(`at most ${maxBulk} messages per batch`)
}
