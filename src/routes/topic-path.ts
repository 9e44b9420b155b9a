/** The topic of a `/v1/<route>/{topic}` URL, percent-decoded strictly. */
import type { Context } from 'hono'
import { errTopicInvalid } from '../errors.js'

/**
 * The path after `prefix`, decoded. The router keeps a sequence it cannot decode as it was written
 * (`home/%FF/set` would be published literally), so this decodes the raw path itself and refuses
 * what is not UTF-8 (a lone surrogate such as `%ED%A0%80` is not UTF-8 either) [MQTT-1.5.4-1].
 */
export function topicFromPath(c: Context, prefix: string): string {
  const path = new URL(c.req.url).pathname
  if (!path.startsWith(prefix)) throw new Error(`topicFromPath: ${path} is not under ${prefix}`)
  try {
    return decodeURIComponent(path.slice(prefix.length))
  } catch {
    throw errTopicInvalid.with('the topic is not UTF-8 once percent-decoded')
  }
}

/** What a route answers for `/v1/<route>/` with nothing after the slash [MQTT-4.7.3-1]. */
export function emptyTopic(): never {
  throw errTopicInvalid.with('topic name is empty')
}
