/**
 * aedes' authorizeForward hook: every message on its way to a client, live or replayed from a stored
 * session, is checked against the receiving client's ACL as it is now. A subscription is checked when
 * it is made; this also covers queues filled under an earlier ACL or by an earlier owner, and
 * subscriptions restored from a session stored before the ACL was narrowed.
 */
import type { AedesOptions, Client } from 'aedes'
import type { Logger } from '../../src/ports/logger.js'
import { mayReceive, usernameOf, type Principal } from './acl.js'
import type { RefusalLog } from './refusal-log.js'

type AuthorizeForward = NonNullable<AedesOptions['authorizeForward']>

export function createAuthorizeForward(principalOf: (client: Client) => Principal | undefined, log: Logger, refusals?: RefusalLog): AuthorizeForward {
  return (client, packet) => {
    const principal = principalOf(client)
    if (principal && mayReceive(principal, packet.topic)) return packet
    if (refusals) refusals.note('deliver', { clientId: client.id, ...usernameOf(principal), topic: packet.topic })
    else log.debug({ clientId: client.id, topic: packet.topic }, 'mqtt delivery outside the ACL dropped')
    return null
  }
}
