/** MQTT topic name and topic filter rules (MQTT 3.1.1 §4.7, MQTT 5 §4.7). Pure: returns a reason, never throws. */

/** [MQTT-4.7.3-3] topic names and filters are UTF-8 strings of at most 65535 bytes. */
export const MAX_TOPIC_BYTES = 65535

const encoder = new TextEncoder()

function commonReason(value: string, kind: 'topic name' | 'topic filter'): string | undefined {
  // [MQTT-4.7.3-1] at least one character
  if (value.length === 0) return `${kind} is empty`
  // [MQTT-4.7.3-2] no U+0000
  if (value.includes('\u0000')) return `${kind} contains a NUL character`
  // [MQTT-1.5.4-1] well-formed UTF-8: a lone UTF-16 surrogate has no UTF-8 form
  if (hasLoneSurrogate(value)) return `${kind} contains a lone surrogate (not UTF-8)`
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so a string this short needs no encoding to be measured.
  if (value.length > MAX_TOPIC_BYTES / 3 && encoder.encode(value).byteLength > MAX_TOPIC_BYTES)
    return `${kind} is longer than ${MAX_TOPIC_BYTES} bytes`
  return undefined
}

/** True when the string holds an unpaired UTF-16 surrogate, which no UTF-8 encodes. */
export function hasLoneSurrogate(value: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)
}

/** Why `topicName` cannot be published to, or undefined when it can. `$` topics are refused: they belong to the broker [MQTT-4.7.2-1]. */
export function validateTopicName(topicName: string, { allowDollar = false } = {}): string | undefined {
  const common = commonReason(topicName, 'topic name')
  if (common) return common
  // [MQTT-4.7.1-1] wildcards are for filters only
  if (topicName.includes('+') || topicName.includes('#')) return 'topic name contains a wildcard (+ or #)'
  if (!allowDollar && topicName.startsWith('$')) return 'topic names starting with $ are reserved for the broker'
  return undefined
}

/** Why `topicFilter` is not a valid subscription filter, or undefined when it is. */
export function validateTopicFilter(topicFilter: string): string | undefined {
  const common = commonReason(topicFilter, 'topic filter')
  if (common) return common
  const levels = topicFilter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!
    // [MQTT-4.7.1-2] '#' alone in its level and last
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be the whole last level of a topic filter"
    }
    // [MQTT-4.7.1-3] '+' occupies a whole level
    if (level.includes('+') && level !== '+') return "'+' must occupy a whole level of a topic filter"
  }
  return undefined
}

/** True when the filter holds a wildcard. */
export function isWildcard(topicFilter: string): boolean {
  return topicFilter.includes('+') || topicFilter.includes('#')
}
