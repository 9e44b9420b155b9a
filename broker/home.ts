/** The home node: one process holding the broker, the HTTP API, and the features, over one data directory. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { WebSocketServer } from 'ws'
import { createApp } from '../src/app.js'
import type { Config } from '../src/config.js'
import { createMetrics } from '../src/metrics.js'
import type { Bus, Deps, Logger } from '../src/ports.js'
import { bootstrapAdminToken } from './admin-token.js'
import { startMqttBroker, type MqttBroker } from './mqtt/broker.js'
import { openDatabase, type Db } from './store/db.js'
import { SqliteTokenStore } from './store/tokens-sqlite.js'
import { SqliteUserStore } from './store/users-sqlite.js'
import { startHomeWebhooks } from './webhooks/home-webhooks.js'
import { startHomeNotify } from './notify/home-notify.js'
import { startHomeEdgeLink } from './link/home-edge-link.js'

export interface Home {
  httpUrl: string
  httpPort: number
  mqttPort: number
  bus: Bus
  deps: Deps
  db: Db
  /** The admin token generated on this start (first start without POSTBRIDGE_ADMIN_TOKEN), to show once. */
  generatedAdminToken?: string
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
  try {
    const tokens = new SqliteTokenStore(db)
    const users = new SqliteUserStore(db, config.mqtt.users)
    const admin = await bootstrapAdminToken(tokens, config.adminToken, Date.now())

    // broker.external (issue 5): a client of a broker that already runs instead of the embedded aedes.
    const external = config.broker.external
    // The external-broker client is loaded only when used: mqtt.js is memory an embedded broker does not need.
    const broker: MqttBroker = external ? await (await import('./external/external-broker.js')).startExternalBroker({ ...config.broker, external }, log) : await startMqttBroker({
      dataDir: config.dataDir,
      host: config.host,
      port: config.mqtt.port,
      allowAnonymous: config.mqtt.allowAnonymous,
      noDelay: config.mqtt.noDelay,
      maxPacketBytes: config.mqtt.maxPacketBytes,
      maxQueuedPerClient: config.mqtt.maxQueuedPerClient,
      users,
      log,
    })
    closers.push(() => broker.close())

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
      },
    }
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
    const notify = await startHomeNotify({ db, bus: broker.bus, sensors: config.sensors, notifiers: config.notifiers, log, env: process.env })
    features.push({ name: 'notify', close: () => notify.close() })
    deps.notify = notify
    // --- end of door sensors ---

    // --- edge link (issue 5): dial the Worker at edge.url over MQTT/WebSocket, see README.md, The edge ---
    const edgeLink = await startHomeEdgeLink(config.edge, broker.bus, deps, log, db)
    if (edgeLink) features.push({ name: 'edge link', close: () => edgeLink.close() })
    // --- end of edge link ---

    // --- end of features ---

    const app = createApp(() => deps, admin.envAdminHash ? { envAdminHash: admin.envAdminHash } : {})
    const server = createServer({ noDelay: true, keepAliveTimeout: 65_000 }, getRequestListener(app.fetch))
    const inFlight = new Set<ServerResponse>()
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      // Event streams never finish by themselves: they are not waited for at shutdown.
      if (req.url?.startsWith('/v1/subscribe')) return
      // The response's close, not the request's: a request closes once its body is read, long before the answer.
      inFlight.add(res)
      res.once('close', () => inFlight.delete(res))
    })
    const wss = new WebSocketServer({ noServer: true })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0]
      if (path !== '/mqtt') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
        return
      }
      wss.handleUpgrade(req, socket, head, (ws) => broker.handleWebSocket(ws, req))
    })
    const httpPort = await listen(server, config.http.port, config.host, 'HTTP')
    closers.push(async () => {
      wss.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const deadline = Date.now() + SHUTDOWN_GRACE_MS
      while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      server.closeAllConnections()
      await closed
    })

    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host
    return {
      httpUrl: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${httpPort}`,
      httpPort,
      mqttPort: broker.tcpPort,
      bus: broker.bus,
      deps,
      db,
      ...(admin.generated ? { generatedAdminToken: admin.generated } : {}),
      close: closeAll,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
