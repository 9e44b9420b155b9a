/**
 * MQTT 5 request/response [MQTT-4.10] through a device that has an ACL: Postbridge's POST /v1/request publishes
 * with a Response Topic under `postbridge/reply/`, which no device ACL lists, so the reply was dropped. A client
 * that was sent a message with such a Response Topic may publish to that exact topic once.
 *
 * Only Postbridge's own reply topics are granted: a grant for any Response Topic would let one client make
 * another publish where the first may not (`responseTopic: "home/alarm/disarm"`).
 */
import type { AedesOptions, Client } from 'aedes'
import { RESPONSE_TOPIC_PREFIX } from '../../src/response-topic.js'

/** Grants a client holds at once; the oldest goes first (a device that never answers cannot grow the set). */
export const MAX_RESPONSE_GRANTS_PER_CLIENT = 64

export class ResponseGrants {
  private readonly grants = new WeakMap<Client, Set<string>>()

  /** aedes' authorizeForward hook: notes the Response Topic of a message on its way to the client. */
  readonly authorizeForward: NonNullable<AedesOptions['authorizeForward']> = (client, packet) => {
    const responseTopic = packet.properties?.responseTopic
    if (typeof responseTopic === 'string' && responseTopic.startsWith(RESPONSE_TOPIC_PREFIX)) {
      let set = this.grants.get(client)
      if (!set) this.grants.set(client, (set = new Set()))
      set.delete(responseTopic)
      set.add(responseTopic)
      if (set.size > MAX_RESPONSE_GRANTS_PER_CLIENT) set.delete(set.values().next().value!)
    }
    return packet
  }

  /** True (and the grant used up) when the client was sent a request answering on this topic. */
  take(client: Client, topicName: string): boolean {
    return this.grants.get(client)?.delete(topicName) ?? false
  }
}
