/**
 * Every correction Postbridge makes to aedes 2.0.0-beta.1, applied from one place, in one order.
 *
 * Each correction lives in its own file in this folder, whose header names the upstream defect and
 * the spec clause; each has a test reproducing the defect on stock aedes (stock-aedes.test.ts,
 * emitter-gate.test.ts, stock-flow.test.ts, stock-store.test.ts for ../persistence.ts, and the
 * "stock aedes" cases beside the others), so a correction can go the day aedes fixes it: delete its
 * file and its line below, and its stock test fails first to say so. Every correction here has one;
 * a new correction that cannot have one is named here.
 *
 * Before applyCorrections (at construction, because aedes only takes them there):
 *  0. the store is Postbridge's BrokerStore (../persistence.ts: MQTT 5 properties, QoS and RETAIN of
 *     queued messages, ended sessions, write order), and aedes is a PostbridgeAedes (publish-flow.ts)
 *     built with createAuthorizePublish as its authorizePublish hook.
 *
 * applyCorrections, once, in this order:
 *  1. retained-stream-errors.ts wraps the store's retained reads.
 *  2. emitter-gate.ts replaces aedes' emitter (`mq`).
 *  3. The store's outgoingStream (a session's queue replay) is wrapped three times; the last wrapper
 *     runs first: subscription-identifiers.ts (identifiers on replayed messages), then
 *     resume-without-expiry.ts (keeps `clean` false while the queue is read), then session-resume.ts
 *     (records what the replay sent). receive-maximum.ts wraps outgoingUpdate/outgoingClearMessageId,
 *     shared-subscriptions.ts the subscription and enqueue methods.
 *  4. authorizeForward, called right before a message is written to one client: the caller's own hook
 *     (ACL) first, then packet-size.ts (drops what exceeds the client's Maximum Packet Size), then
 *     receive-maximum.ts takes note of the packet that goes out; last-line.ts wraps the whole.
 *  5. CONNACK properties (connack-properties.ts) are merged in as the CONNACK is written.
 *  6. stored-session-expiry.ts wraps aedes' session expiry timers and the store's cleanSubscriptions;
 *     its start() runs before the listeners do.
 *  7. delayed-wills.ts wraps aedes' will timers, publishWill and close(); its publishLeftBehind() runs after
 *     aedes.listen() and before the listeners do.
 *  8. prototype-free-keys.ts: aedes' clients by client id, first of all, and on each connection `handle`
 *     takes, that client's subscriptions by topic filter, are dictionaries without a prototype.
 *
 * preConnect, per connection, in this order (each subscription captures deliverQoS/deliver0 when it
 * is made, so every wrapper is in place before CONNECT is processed):
 *  a. mqtt5.ts: shared subscriptions, topic aliases to the client, Server Keep Alive, the server's
 *     Receive Maximum, then receive-maximum.ts (innermost deliverQoS wrapper, next to aedes') and
 *     subscription-identifiers.ts (the next deliver wrapper);
 *  b. delivery-window.ts wraps deliverQoS/deliver0 around those;
 *  c. session-resume.ts wraps outermost: held live messages go out only after the replay;
 *  d. the caller's own preConnect (authentication notes, session owners), then resume-without-expiry.ts;
 *  e. packet-check.ts last: it moves every 'packet' listener (aedes' own handler behind
 *     connection-guard.ts, and those of a.) behind one check, keeping their order. The order on a
 *     packet is then: packet-check, subscription-identifiers, shared-subscriptions, connection-guard
 *     (repeated-properties, then aedes), server-receive-maximum, receive-maximum.
 *
 * Last, last-line.ts wraps every hook, so a throw in any of the above closes only its connection; and
 * `handle` puts connection-guard.ts (pre-CONNECT byte budget, repeated properties, last line on the
 * read path) on each new connection.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Client, ConnectPacket } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'
import { clientInternals, type AedesInternals, type BrokerPacket } from '../aedes-internals.js'
import type { BrokerStore } from '../persistence.js'
import { guardConnection } from './connection-guard.js'
import { prototypeFreeClients, prototypeFreeSubscriptions } from './prototype-free-keys.js'
import { installDeliveryWindow, type DeliveryCounters, type DeliveryWindowOptions } from './delivery-window.js'
import { EmitterGate } from './emitter-gate.js'
import { guardHooks } from './last-line.js'
import { Mqtt5FlowControl, type Mqtt5Limits } from './mqtt5.js'
import { installPacketCheck } from './packet-check.js'
import type { PostbridgeAedes } from './publish-flow.js'
import { ResumeWithoutExpiry } from './resume-without-expiry.js'
import { guardRetainedStreams } from './retained-stream-errors.js'
import { SessionResume } from './session-resume.js'
import { StoredSessionExpiry, type ExpiringAedes } from './stored-session-expiry.js'
import { DelayedWills, type WillAedes, type WillStore } from './delayed-wills.js'

export { aedesLimitOptions, type Mqtt5Limits } from './mqtt5.js'
export { PRE_CONNECT_SLACK_BYTES } from './connection-guard.js'
export { createAuthorizePublish, PostbridgeAedes } from './publish-flow.js'
export type { DeliveryCounters } from './delivery-window.js'

/** The aedes release these corrections were written for and tested against. */
export const AEDES_VERSION = '2.0.0-beta.1'

export interface CorrectionOptions {
  log: Logger
  mqtt5: Mqtt5Limits
  /** Messages in flight to one subscriber (delivery-window.ts). */
  maxQueuedPerClient: number
  /** How long QoS 1/2 messages may wait behind a subscriber that does not read. */
  slowSubscriberTimeoutMs: number
  /** Messages the emitter works on at once. */
  emitterConcurrency: number
  /** Largest CONNECT; until its CONNACK a connection may send this plus PRE_CONNECT_SLACK_BYTES. */
  maxConnectBytes: number
  counters: DeliveryCounters
  /** Expiry of sessions with none of their own (stored-session-expiry.ts); 0: they never expire. */
  persistentSessionExpirySeconds?: number
  /** The caller's own per-connection steps, run inside aedes' preConnect at step d. */
  preConnect?(client: Client, packet: ConnectPacket): void
}

export interface Corrections {
  /** The emitter in front of aedes' own, for its backlog statistics. */
  gate: EmitterGate
  /** Use instead of aedes.handle: a new connection, with connection-guard.ts on it. */
  handle(conn: Duplex, req?: IncomingMessage): Client
  /** Session expiry across restarts: start() before the listeners, flush() before the store closes. */
  sessionExpiry: StoredSessionExpiry
  /** Delayed wills at a stop: publishLeftBehind() before the listeners, flush() before the store closes. */
  wills: DelayedWills
}

/** Throws unless `installed` is the aedes these corrections were written for. */
export function checkAedesVersion(installed: string): void {
  if (installed !== AEDES_VERSION) {
    throw new Error(
      `aedes ${installed} is installed, but broker/mqtt/aedes/ corrects aedes ${AEDES_VERSION}: ` +
        'check each correction against the new release (its stock-aedes test says whether the defect is still there) and update AEDES_VERSION',
    )
  }
}

/** Applies every correction to `aedes` (built with `store` and its hooks), in the order above. */
export function applyCorrections(aedes: PostbridgeAedes, store: BrokerStore, options: CorrectionOptions): Corrections {
  // aedes' typings leave out the version getter.
  checkAedesVersion((aedes as unknown as { version: string }).version)
  const { log, counters } = options
  prototypeFreeClients(aedes as unknown as { clients: Record<string, Client> }) // 8
  guardRetainedStreams(store, log) // 1
  const internals = aedes as unknown as AedesInternals
  const gate = new EmitterGate(internals.mq, options.emitterConcurrency) // 2
  internals.mq = gate
  const resume = new SessionResume(store) // 3
  const resumeWithoutExpiry = new ResumeWithoutExpiry(store)
  const mqtt5 = new Mqtt5FlowControl(aedes, store, options.mqtt5) // 3, 4, 5
  const sessionExpiry = new StoredSessionExpiry(aedes as unknown as ExpiringAedes, store, log, options.persistentSessionExpirySeconds) // 6
  const wills = new DelayedWills(aedes as unknown as WillAedes, store as unknown as WillStore, log) // 7

  // One set of window options and one detach for every client: a connection holds no copies of them.
  const detach = (held: BrokerPacket) => gate.detach(held)
  const windowOptions: DeliveryWindowOptions = {
    maxQueued: options.maxQueuedPerClient,
    stallTimeoutMs: options.slowSubscriberTimeoutMs,
    counters,
    detach,
    onOverflow: (slow) => log.warn({ clientId: slow.id, maxQueued: options.maxQueuedPerClient }, 'mqtt subscriber too slow, disconnecting'),
  }

  // aedes reads its hooks from the instance when it calls them.
  aedes.preConnect = (client, packet, callback) => {
    const inner = clientInternals(client)
    mqtt5.connect(inner, packet) // a
    installDeliveryWindow(inner, windowOptions) // b
    resume.hold(inner, packet, detach) // c
    options.preConnect?.(client, packet) // d
    resumeWithoutExpiry.noteConnect(client, packet)
    installPacketCheck(client, packet, log) // e
    callback(null, true)
  }

  // After every hook is assigned: a hook that throws closes its own connection only.
  guardHooks(aedes, log)
  const guard = { maxConnectBytes: options.maxConnectBytes, log }
  return {
    gate,
    sessionExpiry,
    wills,
    handle(conn, req) {
      const client = aedes.handle(conn, req)
      prototypeFreeSubscriptions(client) // 8
      guardConnection(client, guard)
      return client
    },
  }
}
