/** Topic filter matching per MQTT §4.7. */

/**
 * Whether `topicName` matches `topicFilter`.
 * `sport/#` matches `sport` and `sport/a/b`; `+` matches one level, including an empty one.
 * [MQTT-4.7.2-1] filters starting with a wildcard do not match topic names starting with `$`.
 */
export function matchTopic(topicFilter: string, topicName: string): boolean {
  if (topicName.startsWith('$') && (topicFilter.startsWith('+') || topicFilter.startsWith('#'))) return false
  return matchLevels(topicFilter, topicName)
}

/** The same, level by level without the `$` rule: how aedes' stores match (their callers apply the rule). */
export function matchLevels(topicFilter: string, topicName: string): boolean {
  const filterLevels = topicFilter.split('/')
  const nameLevels = topicName.split('/')
  for (let i = 0; i < filterLevels.length; i++) {
    const f = filterLevels[i]
    if (f === '#') return true // [MQTT-4.7.1-2] also matches the parent level
    if (i >= nameLevels.length) return false
    if (f !== '+' && f !== nameLevels[i]) return false
  }
  return filterLevels.length === nameLevels.length
}

/** Whether every topic that `inner` can match is also matched by `outer` (used for scope checks of filters). */
export function filterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/')
  const n = inner.split('/')
  if (inner.startsWith('$') && (outer.startsWith('+') || outer.startsWith('#'))) return false
  for (let i = 0; i < o.length; i++) {
    const level = o[i]
    if (level === '#') return true
    if (i >= n.length) return false
    if (n[i] === '#') return false
    if (level === '+') continue
    if (n[i] === '+' || level !== n[i]) return false
  }
  return o.length === n.length
}

/** Replace `%u` and `%c` in an ACL filter with the username and client id (Mosquitto's pattern syntax). */
export function expandAclPattern(pattern: string, username: string, clientId: string): string | undefined {
  // A username or client id holding a wildcard or '/' could widen the pattern; refuse to expand it.
  const unsafe = /[+#/]/
  if (pattern.includes('%u') && unsafe.test(username)) return undefined
  if (pattern.includes('%c') && unsafe.test(clientId)) return undefined
  // One pass: a username holding "%c" must not pick up the client id the client chose (and vice versa).
  return pattern.replace(/%[uc]/g, (token) => (token === '%u' ? username : clientId))
}
