/** Who a connected MQTT client is, and which topics it may publish to and subscribe to. */
import { expandAclPattern, filterCovers, matchTopic } from '../../src/topic/match.js'
import type { MqttUser } from './users.js'

/** Anonymous clients that were let in (loopback, or allowAnonymous) may do anything but publish to `$` topics. */
export type Principal = { kind: 'anonymous' } | { kind: 'user'; username: string; publish: string[]; subscribe: string[] }

export const ANONYMOUS: Principal = { kind: 'anonymous' }

function expandAll(patterns: string[], username: string, clientId: string): string[] {
  const out: string[] = []
  for (const pattern of patterns) {
    // undefined: the username or client id holds a wildcard or '/', which would widen the pattern.
    const expanded = expandAclPattern(pattern, username, clientId)
    if (expanded !== undefined) out.push(expanded)
  }
  return out
}

/** The user's ACL with %u and %c replaced for this connection. */
export function principalForUser(user: MqttUser, clientId: string): Principal {
  return {
    kind: 'user',
    username: user.username,
    publish: expandAll(user.publish, user.username, clientId),
    subscribe: expandAll(user.subscribe, user.username, clientId),
  }
}

/** Whether the principal may publish to `topicName`. `$` topics belong to the broker [MQTT-4.7.2-1]. */
export function mayPublish(principal: Principal, topicName: string): boolean {
  if (topicName.startsWith('$')) return false
  if (principal.kind === 'anonymous') return true
  return principal.publish.some((topicFilter) => matchTopic(topicFilter, topicName))
}

/** `$SYS/...` shows every client id and subscription: only an ACL that names it grants it. */
function isSys(topic: string): boolean {
  return topic === '$SYS' || topic.startsWith('$SYS/')
}

/**
 * Whether the principal may subscribe to `topicFilter`: some ACL filter must cover every topic it can
 * match. Anonymous clients may subscribe to anything but `$SYS`; a user reaches `$SYS` only through an
 * ACL filter starting with `$SYS` (a leading wildcard never matches it [MQTT-4.7.2-1]).
 */
export function maySubscribe(principal: Principal, topicFilter: string): boolean {
  if (principal.kind === 'anonymous') return !isSys(topicFilter)
  return principal.subscribe.some((allowed) => filterCovers(allowed, topicFilter))
}

/**
 * Whether a message on `topicName` may be delivered to the principal: checked on every delivery, so a
 * message queued for a stored session, or for a subscription made under a wider ACL, never reaches a
 * user whose ACL (now) leaves it out.
 */
export function mayReceive(principal: Principal, topicName: string): boolean {
  if (principal.kind === 'anonymous') return !isSys(topicName)
  return principal.subscribe.some((allowed) => matchTopic(allowed, topicName))
}

/** The name a session is owned by: the username, or '' for anonymous clients (a username is never empty). */
export function ownerOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.username : ''
}

/** `{ username }` for a user, nothing for an anonymous client: for log lines. */
export function usernameOf(principal: Principal | undefined): { username?: string } {
  return principal?.kind === 'user' ? { username: principal.username } : {}
}
