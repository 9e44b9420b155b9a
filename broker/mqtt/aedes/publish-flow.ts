/**
 * The path of a client's PUBLISH through aedes, with two corrections aedes' hooks allow:
 *
 * - A denied publish from an MQTT 3.1.1 client: aedes closes the connection. The spec allows that,
 *   but a device retrying the same message on every reconnect then loops for ever. We take the other
 *   branch of [MQTT-3.3.5-2]: acknowledge per the QoS rules and drop the message. MQTT 5 clients get
 *   aedes' PUBACK/PUBREC with 0x87 Not authorized (a denied QoS 0 message is dropped silently).
 * - QoS 1: aedes writes PUBACK first and only then publishes (stores in subscriber queues). A crash
 *   in between loses a message the device was told was delivered. [MQTT-4.3.2-2] (3.1.1) /
 *   [MQTT-4.3.2-4] (5.0): the receiver answers PUBACK "having accepted ownership". We publish from
 *   the authorizePublish hook, which runs before the PUBACK, and let aedes' own publish that follows
 *   be a no-op. (QoS 2 is already stored before PUBREC by aedes.)
 *
 * PostbridgeAedes also counts what goes in and what is still in flight, so close() can wait for it.
 */
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes'
import type { RefusalLog } from '../refusal-log.js'
import type { Logger } from '../../../src/ports/logger.js'
import { mayPublish, type Principal } from '../acl.js'
import type { AedesInternals, BrokerPacket, Callback } from '../aedes-internals.js'

/** Already handled: aedes' own publish of this packet does nothing. */
const SKIP_PUBLISH = Symbol('postbridge.skipPublish')

type FlowPacket = BrokerPacket & { [SKIP_PUBLISH]?: true }

type AuthorizePublish = NonNullable<AedesOptions['authorizePublish']>

const basePublish = Aedes.prototype.publish as unknown as (this: Aedes, packet: BrokerPacket, client: Client | null, done: Callback) => void

export class PostbridgeAedes extends Aedes {
  /** Application messages accepted (not `$SYS`), from clients, wills and the Bus. */
  messagesIn = 0
  private inFlight = 0
  private idle: (() => void)[] = []

  override publish(packet: PublishPacket, clientOrDone?: Client | null | Callback, maybeDone?: Callback): void {
    const client = typeof clientOrDone === 'function' ? null : (clientOrDone ?? null)
    const done: Callback = (typeof clientOrDone === 'function' ? clientOrDone : maybeDone) ?? (() => {})
    const flow = packet as FlowPacket
    if (flow[SKIP_PUBLISH]) {
      setImmediate(done)
      return
    }
    if (!packet.topic.startsWith('$SYS/')) this.messagesIn++
    this.inFlight++
    basePublish.call(this, flow, client, (err) => {
      this.inFlight--
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve()
      done(err)
    })
  }

  /** Resolves when no publish is in progress (or after `timeoutMs`). */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.idle.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

/** A PUBLISH packet read from a client (wills have no `cmd` and no packet id). */
function isClientQos1Publish(packet: BrokerPacket): boolean {
  return packet.cmd === 'publish' && packet.qos === 1 && packet.messageId !== undefined
}

/** aedes' authorizePublish hook: ACL, `$` topics, the 3.1.1 ack-and-drop and QoS 1 ownership (see above). */
export function createAuthorizePublish(
  broker: () => AedesInternals,
  principalOf: (client: Client) => Principal | undefined,
  log: Logger,
  /** An exception to the ACL: the reply to a request the client was sent (response-grants.ts). */
  mayReply: (client: Client, topicName: string) => boolean = () => false,
  refusals?: RefusalLog,
): AuthorizePublish {
  return (client, packet, callback) => {
    const flow = packet as FlowPacket
    if (client === null) {
      // A will left by a session of an earlier run: its topic was checked when that client connected.
      callback(packet.topic.startsWith('$') ? new Error('$ topics are reserved') : null)
      return
    }
    const principal = principalOf(client)
    if (!principal || !(mayPublish(principal, packet.topic) || (!packet.topic.startsWith('$') && mayReply(client, packet.topic)))) {
      const username = principal?.kind === 'user' ? principal.username : undefined
      if (refusals) refusals.note('publish', { clientId: client.id, ...(username !== undefined ? { username } : {}), topic: packet.topic })
      else log.debug({ clientId: client.id, username, topic: packet.topic }, 'mqtt publish denied')
      if (client.version === 5) {
        callback(new Error('not authorized'))
        return
      }
      flow[SKIP_PUBLISH] = true
      callback(null)
      return
    }
    if (!isClientQos1Publish(flow)) {
      callback(null)
      return
    }
    broker().publish(flow, client, (err) => {
      if (err) {
        // No PUBACK must reach the client: it will send the message again after reconnecting.
        client.conn.destroy()
        callback(err)
        return
      }
      flow[SKIP_PUBLISH] = true
      callback(null)
    })
  }
}
