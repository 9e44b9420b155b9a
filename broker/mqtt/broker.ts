/**
 * The home node's embedded MQTT broker: aedes 2 (MQTT 3.1.1 and 5) over TCP and WebSocket, state in
 * LevelDB, users and ACLs from a UserDirectory, and the Bus port for the HTTP API.
 */
import type { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { Bus, ClientDirectory, Logger } from '../../src/ports.js'
import { maySubscribe } from './acl.js'
import { AedesBus } from './aedes-bus.js'
import { clientInternals, type AedesInternals } from './aedes-internals.js'
import { Authenticator } from './auth.js'
import { createClientDirectory } from './client-directory.js'
import { installDeliveryWindow, type DeliveryCounters } from './delivery-window.js'
import { EmitterGate } from './emitter-gate.js'
import { startListeners } from './listeners.js'
import { PasswordCheck } from './password-check.js'
import { openBrokerStore } from './persistence.js'
import { createAuthorizePublish, PostbridgeAedes } from './publish-flow.js'
import { SessionResume } from './session-resume.js'

export interface MqttUser {
  username: string
  /** `pbkdf2-sha256$...` (src/auth/password.ts). */
  passwordHash: string
  /** Topic filters the user may publish to; %u and %c expand to the username and client id. */
  publish: string[]
  /** Topic filters the user may subscribe within. */
  subscribe: string[]
}

export interface UserDirectory {
  find(username: string): Promise<MqttUser | undefined>
}

export interface MqttBrokerOptions {
  /** aedes-persistence-level lives in `${dataDir}/broker`. */
  dataDir: string
  host: string
  /** 0 picks a free port. */
  port: number
  /** false: anonymous clients are accepted from loopback only (127.0.0.0/8, ::1, ::ffff:127.x). */
  allowAnonymous: boolean
  /** TCP_NODELAY on every MQTT socket. */
  noDelay: boolean
  /** Largest MQTT packet accepted from a client (advertised to MQTT 5 clients). */
  maxPacketBytes: number
  /** Messages in flight to one subscriber before QoS 0 messages to it are dropped and QoS 1/2 wait. */
  maxQueuedPerClient: number
  /** How long QoS 1/2 messages may wait behind a subscriber that does not read before it is disconnected (default 10 s). */
  slowSubscriberTimeoutMs?: number
  users: UserDirectory
  log: Logger
}

export interface MqttBroker {
  /** The Bus port, backed by this aedes instance. */
  bus: Bus
  /** The bound TCP port. */
  tcpPort: number
  /** Connected clients, for /v1/clients (absent for an external broker). */
  clients?: ClientDirectory
  /** Serve MQTT over an accepted WebSocket (the HTTP server upgrades /mqtt and calls this). */
  handleWebSocket(ws: WebSocket, req: IncomingMessage): void
  /** Stop accepting, disconnect clients, flush and close aedes and the Level db. Idempotent. */
  close(): Promise<void>
}

/** Messages the emitter works on at once (aedes' default). */
const EMITTER_CONCURRENCY = 100
/** A subscriber holding its publishers this long without reading is cut off (aedes' own drainTimeout is 60 s). */
const SLOW_SUBSCRIBER_TIMEOUT_MS = 10_000
/** How long close() waits for publishes still in progress before closing the store. */
const CLOSE_GRACE_MS = 5000

export async function startMqttBroker(opts: MqttBrokerOptions): Promise<MqttBroker> {
  const { log } = opts
  const store = await openBrokerStore(opts.dataDir)
  const passwords = new PasswordCheck()
  const auth = new Authenticator({ allowAnonymous: opts.allowAnonymous, users: opts.users, passwords, log })
  const counters: DeliveryCounters = { delivered: 0, shed: 0, overflowDisconnects: 0 }

  const aedes: PostbridgeAedes = new PostbridgeAedes({
    persistence: store,
    maximumPacketSize: opts.maxPacketBytes,
    authenticate: auth.authenticate,
    authorizePublish: createAuthorizePublish(() => aedes as unknown as AedesInternals, (client) => auth.principalOf(client), log),
    authorizeSubscribe(client, subscription, callback) {
      const principal = auth.principalOf(client)
      if (principal && maySubscribe(principal, subscription.topic)) {
        callback(null, subscription)
        return
      }
      log.debug({ clientId: client.id, topicFilter: subscription.topic }, 'mqtt subscribe denied')
      // A null subscription: SUBACK 0x80 for 3.1.1, 0x87 Not authorized for 5.
      callback(null, null)
    },
  })
  const internals = aedes as unknown as AedesInternals
  const gate = new EmitterGate(internals.mq, EMITTER_CONCURRENCY)
  internals.mq = gate
  const resume = new SessionResume(store)
  // aedes reads its hooks from the instance when it calls them.
  aedes.preConnect = (client, packet, callback) => {
    // Before CONNECT is processed: restored subscriptions capture the deliver functions.
    installDeliveryWindow(clientInternals(client), {
      maxQueued: opts.maxQueuedPerClient,
      stallTimeoutMs: opts.slowSubscriberTimeoutMs ?? SLOW_SUBSCRIBER_TIMEOUT_MS,
      counters,
      detach: (held) => gate.detach(held),
      onOverflow: (slow) => log.warn({ clientId: slow.id, maxQueued: opts.maxQueuedPerClient }, 'mqtt subscriber too slow, disconnecting'),
    })
    // In front of the window: a resumed session's queued messages go out before live ones.
    resume.hold(clientInternals(client), packet, (held) => gate.detach(held))
    auth.noteConnect(client, packet)
    callback(null, true)
  }

  // Without an 'error' listener an EventEmitter throws: a storage failure would take the process down.
  // (aedes' typings leave the 'error' event out.)
  const events: EventEmitter = aedes
  events.on('error', (err: Error) => log.error({ err }, 'mqtt broker error'))
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'mqtt client error'))
  aedes.on('connectionError', (_client, err) => log.debug({ err: err.message }, 'mqtt connection error'))
  aedes.on('clientReady', (client) => log.debug({ clientId: client.id, version: client.version }, 'mqtt client connected'))

  const clients = createClientDirectory(aedes, (client) => auth.principalOf(client))

  let listeners: Awaited<ReturnType<typeof startListeners>>
  try {
    await aedes.listen()
    listeners = await startListeners({ host: opts.host, port: opts.port, noDelay: opts.noDelay, handle: aedes.handle, log })
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
        slowSubscriberDisconnects: counters.overflowDisconnects,
        emitterBacklog: gate.backlog,
        emitterMaxBacklog: gate.maxBacklog,
        passwordVerifications: passwords.verifications,
      },
    }),
  })

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      const serverClosed = listeners.stopAccepting()
      // v5 clients get DISCONNECT 0x8B (server shutting down); wills are published [MQTT-3.1.2-8].
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      listeners.dropAll()
      await serverClosed
      await aedes.whenIdle(CLOSE_GRACE_MS)
      await store.close()
      log.info({}, 'mqtt broker closed')
    })()
    return closing
  }

  log.info({ host: opts.host, port: listeners.tcpPort }, 'mqtt broker listening')
  return { bus, tcpPort: listeners.tcpPort, clients, handleWebSocket: listeners.handleWebSocket, close }
}
