/** The home node: one process holding the broker, the HTTP API, and the features, over one data directory. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createSecureContext } from 'node:tls'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Config } from '../src/config.js'
import { createMetrics } from '../src/metrics.js'
import { createTokenWatch } from '../src/auth/revocation.js'
import type { Bus } from '../src/ports/bus.js'
import type { Logger } from '../src/ports/logger.js'
import type { Deps } from '../src/ports/deps.js'
import { bootstrapAdminToken } from './admin-token.js'
import { createHomeBackup } from './backup/home-backup.js'
import { watchCertificates, type TlsServerSettings } from './tls/certificates.js'
import { startMqttBroker, type MqttBroker } from './mqtt/broker.js'
import { openDatabase, type Db } from './store/db.js'
import { watchForeignWrites } from './store/foreign-writes.js'
import { preparePrivateDir, tightenTree } from './store/private-dir.js'
import { SqliteTokenStore } from './store/tokens-sqlite.js'
import { SqliteUserStore } from './store/users-sqlite.js'
import { dnsResolver, startHomeWebhooks } from './webhooks/home-webhooks.js'
import { ArrivedBodyMessage } from './http/arrived-body.js'
import { answerClientError, refuseMissingHost } from './http/client-error.js'
import { lazyRequestListener } from './http/lazy-request-listener.js'
import { OpenResponses } from './http/open-responses.js'
import { createMqttUserAdmin } from './store/mqtt-user-admin.js'
import { loadDashboard } from './dashboard-assets.js'
import { startHomeNotify } from './notify/home-notify.js'
import { HomeAssistantPublisher } from '../src/homeassistant/publisher.js'
import { ActionService } from '../src/notify/actions.js'
import { answerLinkedActions } from '../src/notify/linked-actions.js'
import { SqlActionStore } from '../src/notify/sql-action-store.js'
import { betterSqliteDriver } from './store/sql-driver.js'
import { startHomeEdgeLink } from './link/home-edge-link.js'
import { localUrl } from './local-url.js'
import { createUpgradeHandler } from './websocket-upgrade.js'
import type { LoadWatch } from './load-watch.js'

export interface Home {
  httpUrl: string
  httpPort: number
  mqttPort: number
  /** MQTT over TLS, when tls.cert and tls.key are set. */
  mqttTlsPort?: number
  bus: Bus
  deps: Deps
  db: Db
  /** The admin token generated on this start (first start without POSTBRIDGE_ADMIN_TOKEN), to show once. */
  generatedAdminToken?: string
  /** Tells `watch` of each HTTP request, MQTT connect and routed message, until it has seen the node busy (broker/v8-hold.ts). */
  watchLoad(watch: LoadWatch): void
  /** Stop accepting, let in-flight requests finish (up to the grace period), then close broker and stores. */
  close(): Promise<void>
}

/** Something started after the broker and stopped before it (webhook dispatcher, notifier). */
export interface Feature {
  name: string
  close(): Promise<void>
}

/** How long shutdown waits for in-flight HTTP requests before cutting connections. */
export const SHUTDOWN_GRACE_MS = 5000

function listen(server: Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (err.code === 'EADDRINUSE') reject(new Error(`${what} port ${port} on ${host} is already in use`))
      else if (err.code === 'EACCES') reject(new Error(`${what} port ${port} on ${host} needs privileges`))
      else reject(new Error(`${what} cannot listen on ${host}:${port}: ${err.message}`))
    }
    const onListening = () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

export async function startHome(config: Config, log: Logger): Promise<Home> {
  preparePrivateDir(config.dataDir)
  const db = openDatabase(config.dataDir)
  const closers: (() => Promise<void> | void)[] = [() => void db.close()]
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close()
      } catch (err) {
        log.error({ err: String(err) }, 'error while shutting down')
      }
    }
  }
  // Writes by another process (the CLI): users added or removed, tokens revoked.
  const foreignWrites = watchForeignWrites(db, { log })
  closers.push(() => foreignWrites.close())
  try {
    const tokens = new SqliteTokenStore(db)
    const users = new SqliteUserStore(db, config.mqtt.users, foreignWrites)

    // TLS: every TLS listener reads the same files; a renewal reaches each of them (setSecureContext below).
    const { tls } = config
    const tlsOnChange: ((context: import('node:tls').SecureContextOptions) => void)[] = []
    const certs =
      tls.cert && tls.key
        ? watchCertificates(
            { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) },
            (context) => void createSecureContext(context),
            (context) => {
              for (const apply of tlsOnChange) apply(context)
            },
            log,
            tls.watchInterval,
          )
        : undefined
    if (certs) closers.push(() => certs.close())
    const tlsSettings = (): TlsServerSettings => ({
      ...certs!.current(),
      requestCert: tls.ca !== undefined,
      rejectUnauthorized: tls.requireClientCert,
    })
    const admin = await bootstrapAdminToken(tokens, config.adminToken, Date.now())

    // broker.external (issue 5): a client of a broker that already runs instead of the embedded aedes.
    const external = config.broker.external
    // The external-broker client is loaded only when used: mqtt.js is memory an embedded broker does not need.
    const broker: MqttBroker = external
      ? await (await import('./external/external-broker.js')).startExternalBroker({ ...config.broker, external }, log)
      : await startMqttBroker({
          dataDir: config.dataDir,
          host: config.host,
          port: config.mqtt.port,
          allowAnonymous: config.mqtt.allowAnonymous,
          anonymousFromLoopback: config.mqtt.anonymousFromLoopback,
          sysIntervalMs: config.mqtt.sysInterval,
          noDelay: config.mqtt.noDelay,
          maxPacketBytes: config.mqtt.maxPacketBytes,
          maxConnectBytes: config.mqtt.maxConnectBytes,
          loginThrottle: { ...config.mqtt.loginThrottle, windowMs: config.mqtt.loginThrottle.window },
          maxQueuedPerClient: config.mqtt.maxQueuedPerClient,
          storedQueue: { maxMessages: config.mqtt.maxStoredPerSession, maxBytes: config.mqtt.maxStoredBytesPerSession },
          persistentSessionExpirySeconds: Math.ceil(config.mqtt.persistentSessionExpiry / 1000),
          mqtt5: {
            topicAliasMaximum: config.mqtt.topicAliasMaximum,
            receiveMaximum: config.mqtt.receiveMaximum,
            maxKeepAliveSeconds: config.mqtt.maxKeepAlive,
          },
          users,
          log,
          ...(certs ? { tls: { port: tls.mqttPort, settings: tlsSettings(), identityAsUsername: tls.useIdentityAsUsername } } : {}),
        })
    closers.push(() => broker.close())
    if (broker.setSecureContext) tlsOnChange.push((context) => broker.setSecureContext!(context))

    const pending = new Set<Promise<unknown>>()
    const deps: Deps = {
      bus: broker.bus,
      tokens,
      now: () => Date.now(),
      defer: (task) => {
        pending.add(task)
        void task.finally(() => pending.delete(task)).catch(() => {})
      },
      log,
      metrics: createMetrics(),
      limits: {
        maxPayloadBytes: config.http.maxPayloadBytes,
        maxRequestTimeoutMs: config.http.maxRequestTimeout,
        defaultRequestTimeoutMs: config.http.requestTimeout,
        maxBulk: config.http.maxBulk,
        maxJsonBytes: config.http.maxJsonBytes,
        maxBulkBytes: config.http.maxBulkBytes,
        sseBufferBytes: config.http.sseBufferBytes,
        maxStreams: config.http.maxStreams,
        maxStreamsPerToken: config.http.maxStreamsPerToken,
        maxRequests: config.http.maxRequests,
        maxRequestsPerToken: config.http.maxRequestsPerToken,
        retainedPageBytes: config.http.retainedPageBytes,
      },
    }
    deps.backup = createHomeBackup(db, config.dataDir, broker.storeEntries)
    // The embedded broker's client list and MQTT users (issue 13): /v1/clients, /v1/mqtt-users.
    if (broker.clients) deps.clients = broker.clients
    if (!external) deps.mqttUsers = createMqttUserAdmin(users, config.mqtt.users)
    const dashboard = loadDashboard()
    if (dashboard) deps.dashboard = dashboard
    const features: Feature[] = []
    // Registered before any feature starts, so one that fails to start still gets the others closed.
    closers.push(async () => {
      for (const f of features.reverse()) await f.close()
      await Promise.allSettled([...pending])
    })
    // --- features: each adds its port to deps and its closer to features ---

    // --- webhooks (issue 3): outbox in SQLite, one delivery lane per hook, /v1/webhooks ---
    // process.env: declared hooks may name the variable holding their secret (webhooks.hooks[].secretEnv).
    const webhooks = await startHomeWebhooks({ db, bus: broker.bus, config: config.webhooks, log, env: process.env })
    features.push({ name: 'webhooks', close: () => webhooks.close() })
    deps.webhooks = webhooks.service
    deps.metricLines = () => webhooks.metricLines()
    // --- end of webhooks ---

    // --- door sensors and phone alerts (issue 4): state and events in SQLite, /v1/sensors, /v1/notifiers ---
    // process.env: notifier secrets in the config file are env:NAME references.
    // Home Assistant discovery mirrors every sensor change; it is told of changes while the notifier starts.
    const ha = config.homeAssistant.discovery
      ? new HomeAssistantPublisher({ bus: broker.bus, settings: config.homeAssistant, listSensors: () => notify.listSensors(), log })
      : undefined
    // Alert buttons link to the address a phone reaches (http.publicUrl); without it alerts carry none.
    // With an edge and no public address of its own, buttons link to the edge, which asks home over the link.
    const actionsUrl = config.http.publicUrl ?? config.edge.url?.replace(/\/+$/, '')
    const actions = actionsUrl
      ? new ActionService({
          store: new SqlActionStore(betterSqliteDriver(db)),
          bus: broker.bus,
          now: Date.now,
          log,
          publicUrl: actionsUrl,
          ttlMs: config.http.actionTtl,
        })
      : undefined
    if (actions) deps.actions = actions
    // Notifier URLs follow the webhook URL policy, with the same allowPrivate switch (a self-hosted ntfy on the Pi).
    const urlPolicy = { allowPrivate: config.webhooks.allowPrivate, resolve: dnsResolver }
    const notify = await startHomeNotify({
      db,
      ...(actions ? { actions } : {}),
      bus: broker.bus,
      sensors: config.sensors,
      notifiers: config.notifiers,
      log,
      env: process.env,
      ...(ha ? { observer: ha } : {}),
      urlPolicy,
    })
    features.push({ name: 'notify', close: () => notify.close() })
    deps.notify = notify
    if (ha) {
      await ha.start()
      features.push({ name: 'home assistant', close: () => ha.close() })
    }
    // --- end of door sensors ---

    // Buttons pressed at the edge are answered here (src/notify/linked-actions.ts).
    if (actions && config.edge.url) {
      const stopAnswering = await answerLinkedActions(broker.bus, actions, log)
      features.push({ name: 'edge alert buttons', close: () => stopAnswering() })
    }
    // --- edge link (issue 5): dial the Worker at edge.url over MQTT/WebSocket, see docs/edge.md ---
    const edgeLink = await startHomeEdgeLink(config.edge, broker.bus, deps, log, db)
    if (edgeLink) features.push({ name: 'edge link', close: () => edgeLink.close() })
    // --- end of edge link ---

    // --- end of features ---

    // Everything is open now: files an older version made, or made before the umask, become 0600 too.
    tightenTree(config.dataDir)

    // Revocation ends a token's streams, request waits and webhooks, also when the CLI revokes from another process.
    const tokenWatch = createTokenWatch({ tokens, webhooks: webhooks.service, log })
    deps.tokenWatch = tokenWatch
    // A token becomes invalid only when its row is deleted (tokens do not expire): the CLI's deletions are looked for
    // when the database reports another process's write, the revoke route's at once.
    const stopRevocationWatch = foreignWrites.onWrite(() => {
      tokenWatch.check().catch((err: unknown) => log.error({ err: String(err) }, 'revocation check failed'))
    })
    closers.push(stopRevocationWatch)

    // The app is built by the first request (broker/http/lazy-request-listener.ts): an idle node does without it.
    const appOptions = { corsOrigins: config.http.cors.origins, ...(admin.envAdminHash ? { envAdminHash: admin.envAdminHash } : {}) }
    const listener = lazyRequestListener(
      async () => (await import('../src/app.js')).createApp(() => deps, appOptions).fetch,
      (err) => log.error({ err: String(err) }, 'the HTTP API could not be built'),
    )
    const inFlight = new OpenResponses()
    let loadWatch: LoadWatch | undefined
    // The one 'request' listener: a second one costs every request a copy of the listener array in emit.
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      // Event streams never finish by themselves: they are not waited for at shutdown. The response's close, not the
      // request's: a request closes once its body is read, long before the answer.
      if (!req.url?.startsWith('/v1/subscribe')) {
        inFlight.track(res)
      }
      loadWatch?.activity()
      if (!refuseMissingHost(req, res)) void listener(req, res)
    }
    const https = certs !== undefined && tls.https
    const serverOptions = { noDelay: true, keepAliveTimeout: 65_000, requireHostHeader: false, IncomingMessage: ArrivedBodyMessage }
    const server: Server = https ? createHttpsServer({ ...tlsSettings(), ...serverOptions }, handler) : createServer(serverOptions, handler)
    // Node's own answers to what it refuses are empty: these give problem+json (broker/http/client-error.ts).
    server.on('clientError', answerClientError)
    if (https) {
      const secure = server as import('node:https').Server
      tlsOnChange.push((context) => secure.setSecureContext(context))
      secure.on('tlsClientError', (err, socket) => {
        log.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'https handshake failed')
        socket.destroy()
      })
    }
    // MQTT over WebSocket on mqtt.websocketPaths (broker/websocket-upgrade.ts).
    const upgrades = createUpgradeHandler({
      paths: config.mqtt.websocketPaths,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      handleWebSocket: (ws, req) => broker.handleWebSocket(ws, req),
      log,
    })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrades.handleUpgrade(req, socket, head))
    const httpPort = await listen(server, config.http.port, config.host, 'HTTP')
    closers.push(async () => {
      upgrades.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const deadline = Date.now() + SHUTDOWN_GRACE_MS
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      server.closeAllConnections()
      await closed
    })

    return {
      httpUrl: localUrl(https ? 'https' : 'http', config.host, httpPort),
      httpPort,
      mqttPort: broker.tcpPort,
      ...(broker.tlsPort !== undefined ? { mqttTlsPort: broker.tlsPort } : {}),
      bus: broker.bus,
      deps,
      db,
      ...(admin.generated ? { generatedAdminToken: admin.generated } : {}),
      watchLoad(watch) {
        loadWatch = watch
        const stopBroker = broker.onActivity?.(watch.activity)
        // Once busy, the watch has said all it will: the request path and the broker stop telling it.
        const stop = () => {
          if (loadWatch === watch) loadWatch = undefined
          stopBroker?.()
        }
        void watch.busy.then(stop)
        closers.push(() => {
          stop()
          watch.close()
        })
      },
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
