// MQTT topic filter matching for the browser, the same rule as src/topic/match.ts (a test compares the two).

/** Whether a topic name matches a filter: '+' one level, '#' the rest; wildcards never match a leading '$' [MQTT-4.7.2-1]. */
export function matches(filter, topic) {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false
  }
  return f.length === t.length
}
