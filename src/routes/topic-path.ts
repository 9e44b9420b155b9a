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
  const levels = new URL(c.req.url).pathname.split('/').slice(prefix.split('/').length - 1)
  try {
    return decodeURIComponent(levels.join('/'))
  } catch {
    throw errTopicInvalid.with('the topic is not UTF-8 once percent-decoded')
  }
}

/** What a route answers for `/v1/<route>/` with nothing after the slash [MQTT-4.7.3-1]. */
export function emptyTopic(): never {
  throw errTopicInvalid.with('topic name is empty')
}
