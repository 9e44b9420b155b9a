/**
 * The home node's embedded MQTT broker: aedes 2 (MQTT 3.1.1 and 5) over TCP and WebSocket, state in
 * LevelDB, users and ACLs from a UserDirectory, and the Bus port for the HTTP API.
 */
import type { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { Bus } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import type { ClientDirectory } from '../../src/ports/clients.js'
import { maySubscribe } from './acl.js'
import type { UserDirectory } from './users.js'
import { AedesBus } from './aedes-bus.js'
import { LoginThrottle } from '../../src/auth/login-throttle.js'
import {
  aedesLimitOptions,
  applyCorrections,
  createAuthorizePublish,
  PostbridgeAedes,
  PRE_CONNECT_SLACK_BYTES,
  type DeliveryCounters,
  type Mqtt5Limits,
} from './aedes/index.js'
import type { AedesInternals } from './aedes-internals.js'
import { Authenticator } from './auth.js'
import { createClientDirectory } from './client-directory.js'
import { createAuthorizeForward } from './forward-acl.js'
import { logConnections } from './connection-log.js'
import { RefusalLog } from './refusal-log.js'
import { usernameOf } from './acl.js'
import { startListeners } from './listeners.js'
import { startSysStats } from './sys-stats.js'
import { watchUsers } from './user-watch.js'
import { PasswordCheck } from './password-check.js'
import { openBrokerStore } from './persistence.js'
import { writeNumbersUncached } from './packet-numbers.js'
import { STORED_QUEUE_DEFAULTS } from '../../src/config.js'
import type { StoredQueueLimits } from './stored-queues.js'
import { SessionOwners } from './session-owners.js'
import { ResponseGrants } from './response-grants.js'
import type { SecureContextOptions } from 'node:tls'
import type { TlsServerSettings } from '../tls/certificates.js'
import { certificateIdentity } from '../tls/identity.js'

export interface MqttBrokerOptions {
  /** aedes-persistence-level lives in `${dataDir}/broker`. */
  dataDir: string
  host: string
  /** 0 picks a free port. */
  port: number
  /** false: anonymous clients are accepted from loopback only (127.0.0.0/8, ::1, ::ffff:127.x). */
  allowAnonymous: boolean
  /** false: no anonymous client from loopback either, for a host behind a reverse proxy or TCP tunnel (default true). */
  anonymousFromLoopback?: boolean
  /** TCP_NODELAY on every MQTT socket. */
  noDelay: boolean
  /** Largest MQTT packet accepted from a client (advertised to MQTT 5 clients). */
  maxPacketBytes: number
  /** Failed logins per address and username: back off after backoffAfter, refuse after refuseAfter; maxPending password checks wait at once. */
  loginThrottle?: { backoffAfter: number; refuseAfter: number; windowMs: number; maxPending: number }
  /** Largest CONNECT accepted; until its CONNACK a connection may send this plus 8 KiB (default 16 KiB). */
  maxConnectBytes?: number
  /** Messages in flight to one subscriber before QoS 0 messages to it are dropped and QoS 1/2 wait. */
  maxQueuedPerClient: number
  /** A persistent session's stored queue: at most this many messages and bytes (stored-queues.ts); defaults 1000 and 16 MiB. */
  storedQueue?: Partial<StoredQueueLimits>
  /** How long a session with no expiry of its own (MQTT 3.1.1 Clean Session 0) outlives its connection; 0 or absent: for ever. */
  persistentSessionExpirySeconds?: number
  /** `$SYS/broker/...` statistics every this many ms (sys-stats.ts); 0 or absent: none. */
  sysIntervalMs?: number
  /** How long QoS 1/2 messages may wait behind a subscriber that does not read before it is disconnected (default 10 s). */
  slowSubscriberTimeoutMs?: number
  /** MQTT 5 limits (aedes/mqtt5.ts); defaults: 10 topic aliases, Receive Maximum 100, keep-alive capped at 60 s. */
  mqtt5?: Partial<Mqtt5Limits>
  users: UserDirectory
  log: Logger
  /** MQTT over TLS on its own port; identityAsUsername: a verified client certificate's CN is the user, no password. */
  tls?: { port: number; settings: TlsServerSettings; identityAsUsername: boolean }
}

export interface MqttBroker {
  /** The Bus port, backed by this aedes instance. */
  bus: Bus
  /** The bound TCP port. */
  tcpPort: number
  /** The bound MQTT/TLS port, when TLS is configured. */
  tlsPort?: number
  /** A renewed certificate for new TLS connections. */
  setSecureContext?(options: SecureContextOptions): void
  /** Connected clients, for /v1/clients (absent for an external broker). */
  clients?: ClientDirectory
  /** Serve MQTT over an accepted WebSocket (the HTTP server upgrades mqtt.websocketPaths and calls this). */
  handleWebSocket(ws: WebSocket, req: IncomingMessage): void
  /** Stop accepting, disconnect clients, flush and close aedes and the Level db. Idempotent. */
  close(): Promise<void>
  /** The broker store's raw entries from one snapshot, for backups; absent for an external broker. */
  storeEntries?(): AsyncIterable<[Uint8Array, Uint8Array]>
  /** Calls `listener` for each client that connects and each message the broker routes, its `$SYS/` statistics aside; returns what stops it. */
  onActivity?(listener: () => void): () => void
}

/** Messages the emitter works on at once (aedes' default). */
const EMITTER_CONCURRENCY = 100
/** A subscriber holding its publishers this long without reading is cut off (aedes' own drainTimeout is 60 s). */
const SLOW_SUBSCRIBER_TIMEOUT_MS = 10_000
/** How long close() waits for publishes still in progress before closing the store. */
const CLOSE_GRACE_MS = 5000
/** mqtt.loginThrottle's defaults (src/config.ts). */
const LOGIN_THROTTLE = { backoffAfter: 5, refuseAfter: 20, windowMs: 15 * 60_000, maxPending: 64 }
/** mqtt.maxConnectBytes' default: a CONNECT with credentials and a will of a few KiB. */
export const MAX_CONNECT_BYTES = 16 * 1024
const MQTT5_DEFAULTS: Mqtt5Limits = { topicAliasMaximum: 10, receiveMaximum: 100, maxKeepAliveSeconds: 60 }

export async function startMqttBroker(opts: MqttBrokerOptions): Promise<MqttBroker> {
  const { log } = opts
  writeNumbersUncached() // before write-hook.ts wraps mqtt-packet's writeToStream
  const store = await openBrokerStore(opts.dataDir)
  store.queues.limit({ ...STORED_QUEUE_DEFAULTS, ...opts.storedQueue }, log)
  const limits = opts.loginThrottle ?? LOGIN_THROTTLE
  const passwords = new PasswordCheck({ maxPending: limits.maxPending })
  const throttle = new LoginThrottle(limits)
  const sessions = await SessionOwners.open(store, log)
  const auth = new Authenticator({
    allowAnonymous: opts.allowAnonymous,
    anonymousFromLoopback: opts.anonymousFromLoopback,
    users: opts.users,
    passwords,
    throttle,
    log,
    sessions,
    ...(opts.tls?.identityAsUsername ? { identityOf: certificateIdentity } : {}),
  })
  const counters: DeliveryCounters = { delivered: 0, shed: 0, overflowDisconnects: 0 }
  const mqtt5Limits: Mqtt5Limits = { ...MQTT5_DEFAULTS, ...opts.mqtt5 }

  const grants = new ResponseGrants()
  const refusals = new RefusalLog(log)
  const aclForward = createAuthorizeForward((client) => auth.principalOf(client), log, refusals)
  const aedes: PostbridgeAedes = new PostbridgeAedes({
    persistence: store,
    maximumPacketSize: opts.maxPacketBytes,
    ...aedesLimitOptions(mqtt5Limits),
    authenticate: auth.authenticate,
    // Deliveries outside the receiver's ACL are dropped; a Response Topic on the way out is granted for one reply.
    authorizeForward: (client, packet) => {
      const allowed = aclForward(client, packet)
      return allowed ? grants.authorizeForward(client, allowed) : allowed
    },
    authorizePublish: createAuthorizePublish(
      () => aedes as unknown as AedesInternals,
      (client) => auth.principalOf(client),
      log,
      (client, topic) => grants.take(client, topic),
      refusals,
    ),
    authorizeSubscribe(client, subscription, callback) {
      const principal = auth.principalOf(client)
      if (principal && maySubscribe(principal, subscription.topic)) {
        callback(null, subscription)
        return
      }
      refusals.note('subscribe', { clientId: client.id, ...usernameOf(principal), topic: subscription.topic })
      // A null subscription: SUBACK 0x80 for 3.1.1, 0x87 Not authorized for 5.
      callback(null, null)
    },
  })
  // Every correction to aedes, in the order broker/mqtt/aedes/index.ts documents.
  const { gate, handle, sessionExpiry, wills } = applyCorrections(aedes, store, {
    log,
    mqtt5: mqtt5Limits,
    maxQueuedPerClient: opts.maxQueuedPerClient,
    slowSubscriberTimeoutMs: opts.slowSubscriberTimeoutMs ?? SLOW_SUBSCRIBER_TIMEOUT_MS,
    emitterConcurrency: EMITTER_CONCURRENCY,
    maxConnectBytes: opts.maxConnectBytes ?? MAX_CONNECT_BYTES,
    persistentSessionExpirySeconds: opts.persistentSessionExpirySeconds ?? 0,
    counters,
    preConnect(client, packet) {
      auth.noteConnect(client, packet)
      sessions.noteConnect(client, packet)
    },
  })

  // Without an 'error' listener an EventEmitter throws: a storage failure would take the process down.
  // (aedes' typings leave the 'error' event out.)
  const events: EventEmitter = aedes
  events.on('error', (err: Error) => log.error({ err }, 'mqtt broker error'))
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'mqtt connection error'))
  aedes.on('clientDisconnect', (client) => sessions.release(client))
  logConnections(aedes, (client) => auth.principalOf(client), log)

  const clients = createClientDirectory(aedes, (client) => auth.principalOf(client))

  let listeners: Awaited<ReturnType<typeof startListeners>>
  try {
    // Sessions that expired while the broker was down end before any client can resume them.
    await sessionExpiry.start()
    await aedes.listen()
    // Wills an earlier run left waiting (it was killed, or stopped with them) go out before any client connects.
    await wills.publishLeftBehind()
    listeners = await startListeners({
      host: opts.host,
      port: opts.port,
      noDelay: opts.noDelay,
      handle,
      maxFrameBytes: opts.maxPacketBytes,
      maxPreConnectFrameBytes: (opts.maxConnectBytes ?? MAX_CONNECT_BYTES) + PRE_CONNECT_SLACK_BYTES,
      log,
      ...(opts.tls ? { tls: { port: opts.tls.port, settings: opts.tls.settings } } : {}),
    })
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await store.close()
    throw err
  }

  const bus = new AedesBus({
    aedes,
    store,
    log,
    stats: () => ({
      deliveredToClients: counters.delivered,
      detail: {
        shedMessages: counters.shed,
        storedQueueDrops: store.queues.dropped,
        slowSubscriberDisconnects: counters.overflowDisconnects,
        emitterBacklog: gate.backlog,
        emitterMaxBacklog: gate.maxBacklog,
        passwordVerifications: passwords.verifications,
        passwordChecksWaiting: passwords.waiting,
      },
    }),
  })

  const stopWatchingUsers = watchUsers({ aedes, users: opts.users, auth, store, log })
  const stopSysStats = startSysStats({ aedes, store, intervalMs: opts.sysIntervalMs ?? 0, sent: () => counters.delivered, log })

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      stopWatchingUsers()
      await stopSysStats()
      const serverClosed = listeners.stopAccepting()
      // v5 clients get DISCONNECT 0x8B (server shutting down); wills are published [MQTT-3.1.2-8], delayed ones
      // too, before the clients are disconnected (delayed-wills.ts).
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      listeners.dropAll()
      await serverClosed
      await aedes.whenIdle(CLOSE_GRACE_MS)
      await sessions.flush()
      await sessionExpiry.flush()
      await wills.flush()
      await store.close()
      log.info({}, 'mqtt broker closed')
    })()
    return closing
  }

  log.info(
    { host: opts.host, port: listeners.tcpPort, ...(listeners.tlsPort !== undefined ? { tlsPort: listeners.tlsPort } : {}) },
    'mqtt broker listening',
  )
  return {
    bus,
    tcpPort: listeners.tcpPort,
    clients,
    ...(listeners.tlsPort !== undefined ? { tlsPort: listeners.tlsPort } : {}),
    setSecureContext: (context) => listeners.setSecureContext(context),
    handleWebSocket: listeners.handleWebSocket,
    close,
    storeEntries: () => store.rawEntries(),
    onActivity: (listener) => {
      const onPublish = (packet: { topic: string }) => {
        if (!packet.topic.startsWith('$SYS/')) listener()
      }
      aedes.on('publish', onPublish)
      aedes.on('client', listener)
      return () => {
        aedes.off('publish', onPublish)
        aedes.off('client', listener)
      }
    },
  }
}
