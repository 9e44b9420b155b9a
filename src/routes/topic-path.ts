/** The topic of a `/v1/<route>/{topic}` URL, percent-decoded strictly. */
import type { Context } from 'hono'
import { errTopicInvalid } from '../errors.js'

/**
 * The path after `prefix`, decoded. The router keeps a sequence it cannot decode as it was written
 * (`home/%FF/set` would be published literally), so this decodes the raw path itself and refuses
 * what is not UTF-8 (a lone surrogate such as `%ED%A0%80` is not UTF-8 either) [MQTT-1.5.4-1].
 */
export function topicFromPath(c: Context, prefix: string): string {
  // By segments, not by text: the router also matches a prefix written with escapes (`/v1/p%75blish/...`).
  const path = pathnameOf(c.req.url)
  let start = 0
  // One path segment per slash of the prefix, counted in place: this runs on every publish.
  for (let slash = prefix.indexOf('/'); slash !== -1; slash = prefix.indexOf('/', slash + 1)) {
    start = path.indexOf('/', start) + 1
    if (start === 0) return ''
  }
  const topic = path.slice(start)
  if (!topic.includes('%')) return topic
  try {
    return decodeURIComponent(topic)
  } catch {
    throw errTopicInvalid.with('the topic is not UTF-8 once percent-decoded')
  }
}

/** Characters the URL parser keeps in a path as written: no escaping, no `\` taken for `/`, no tab or space dropped. */
const VERBATIM_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%[\]]*$/
/** A `.` or `..` segment, also spelled with `%2e`, which the URL parser resolves. */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i

/**
 * `new URL(url).pathname`, without parsing the URL when the path is one the parser would keep as written
 * (a publish's path nearly always is). Anything else is left to the parser.
 */
export function pathnameOf(url: string): string {
  const scheme = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : -1
  const start = scheme === -1 ? -1 : url.indexOf('/', scheme)
  if (start !== -1) {
    let end = url.indexOf('?', start)
    if (end === -1) end = url.length
    const hash = url.indexOf('#', start)
    if (hash !== -1 && hash < end) end = hash
    const path = url.slice(start, end)
    if (VERBATIM_PATH.test(path) && !DOT_SEGMENT.test(path)) return path
  }
  return new URL(url).pathname
}

/** The routes whose path after `/v1/<route>/` is a topic. */
const TOPIC_ROUTES = new Set(['publish', 'request', 'retained'])
/** A segment the URL parser takes for `.` or `..` and resolves: `.`, `..`, and either spelled with `%2e`. */
const DOT_LEVEL = /^(?:\.|%2e){1,2}$/i
/** Quick test: a segment that starts with a dot in some spelling; most paths have none. */
const MAY_HOLD_DOT_LEVEL = /\/(?:\.|%2e)/i

function decodedOr(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * The topic a request target (as the client wrote it, before any URL parsing) names for a topic route, when that
 * topic holds a `.` or `..` level in any spelling; undefined otherwise. The URL parser resolves those levels before
 * a route sees the path (`/v1/publish/a/%2e%2e/b` becomes `/v1/publish/b`), so such a topic would be published,
 * read or cleared somewhere else than the client wrote: it is refused instead, by the app, with the topic named.
 */
export function dotLevelTopic(requestTarget: string): string | undefined {
  if (!MAY_HOLD_DOT_LEVEL.test(requestTarget)) return undefined
  // The origin form (`/v1/...`) or the absolute form (`http://host/v1/...`) of the request line.
  const scheme = /^https?:\/\/[^/?#]*/i.exec(requestTarget)
  const rest = scheme ? requestTarget.slice(scheme[0].length) : requestTarget
  let end = rest.search(/[?#]/)
  if (end === -1) end = rest.length
  // ['', 'v1', '<route>', ...topic levels]; the router matches a prefix written with escapes, so this does too.
  const [root, version = '', route = '', ...levels] = rest.slice(0, end).split('/')
  if (root !== '' || levels.length === 0 || decodedOr(version) !== 'v1' || !TOPIC_ROUTES.has(decodedOr(route))) return undefined
  return levels.some((level) => DOT_LEVEL.test(level)) ? decodedOr(levels.join('/')) : undefined
}

/** What a route answers for `/v1/<route>/` with nothing after the slash [MQTT-4.7.3-1]. */
export function emptyTopic(): never {
  throw errTopicInvalid.with('topic name is empty')
}
