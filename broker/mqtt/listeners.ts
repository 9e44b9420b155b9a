/** Where MQTT connections come from: a TCP listener, and WebSocket connections the HTTP server upgrades. */
import type { IncomingMessage } from 'node:http'
import { createServer, type Server, type Socket } from 'node:net'
import { createServer as createTlsServer, type SecureContextOptions, type TLSSocket } from 'node:tls'
import type { TlsServerSettings } from '../tls/certificates.js'
import { createRequire } from 'node:module'
import type { Duplex } from 'node:stream'
import type { WebSocket } from 'ws'
import type { Logger } from '../../src/ports/logger.js'

export interface ListenerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** TCP_NODELAY: Nagle's algorithm holds small QoS 0 packets back by up to ~40 ms. */
  noDelay: boolean
  /** Hands a connection to aedes; the result tells when its CONNACK went out. */
  handle(conn: Duplex, req?: IncomingMessage): ConnectionEvents
  /** Largest WebSocket frame once CONNECT has succeeded (mqtt.maxPacketBytes). */
  maxFrameBytes: number
  /** Largest WebSocket frame before that (the pre-CONNECT budget). */
  maxPreConnectFrameBytes: number
  log: Logger
  /** MQTT over TLS on its own port (8883 by convention), when certificates are configured. */
  tls?: { port: number; settings: TlsServerSettings }
}

/** aedes' Client emits 'connected' once its CONNACK is written. */
export interface ConnectionEvents {
  once(event: 'connected', listener: () => void): unknown
}

/**
 * Sets the largest frame (and fragmented message) ws accepts on one connection; beyond it ws closes
 * with 1009. ws reads maxPayload once per server, so the per-connection value sits on its receiver
 * (ws 8.23, lib/receiver.js `_maxPayload`); checked, so an upgrade of ws that moves it fails loudly.
 */
function setFrameLimit(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver
  if (!receiver || typeof receiver._maxPayload !== 'number')
    throw new Error('ws internals changed: recheck setFrameLimit in broker/mqtt/listeners.ts')
  receiver._maxPayload = bytes
}

export interface Listeners {
  tcpPort: number
  /** The bound MQTT/TLS port, when TLS is on. */
  tlsPort?: number
  /** New TLS connections use these; connections already made keep theirs. */
  setSecureContext(options: SecureContextOptions): void
  handleWebSocket(ws: WebSocket, req: IncomingMessage): void
  /** Refuse new connections; resolves once the TCP server has closed (after dropAll()). */
  stopAccepting(): Promise<void>
  /** Cut every connection still open (those aedes did not close: e.g. sockets that never sent CONNECT). */
  dropAll(): void
}

function listen(server: Server, port: number, host: string, what = 'MQTT'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`${what} cannot listen on ${host}:${port}: ${err.message}`, { cause: err }))
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

function ignoreError(): void {}

export async function startListeners(options: ListenerOptions): Promise<Listeners> {
  const sockets = new Set<Socket>()
  const webSockets = new Set<WebSocket>()
  let accepting = true

  // One listener of each kind for every socket, rather than new closures per connection.
  const forget = function (this: Socket) {
    sockets.delete(this)
  }
  const accept = (socket: Socket) => {
    if (!accepting) {
      socket.destroy()
      return
    }
    // createServer's noDelay covers accepted sockets on Node >= 17.7; set it again so it never depends on that.
    if (options.noDelay) socket.setNoDelay(true)
    sockets.add(socket)
    socket.on('close', forget) // a socket closes once: once() would only add a wrapper per connection
    // aedes adds its own listener; this one covers the moments before and after it does.
    socket.on('error', ignoreError)
    options.handle(socket)
  }
  const server = createServer({ noDelay: options.noDelay }, accept)
  server.on('error', (err) => options.log.error({ err }, 'mqtt listener error'))
  await listen(server, options.port, options.host)
  const address = server.address()
  const tcpPort = typeof address === 'object' && address ? address.port : options.port
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()))

  const tlsServer = options.tls
    ? createTlsServer({ ...options.tls.settings, noDelay: options.noDelay }, (socket: TLSSocket) => accept(socket))
    : undefined
  let tlsPort: number | undefined
  let tlsClosed: Promise<void> = Promise.resolve()
  if (tlsServer && options.tls) {
    // A failed handshake (wrong CA, no client certificate, a port scanner) concerns that connection only.
    tlsServer.on('tlsClientError', (err, socket) => {
      options.log.debug({ err: err.message, remoteAddress: socket.remoteAddress }, 'mqtt tls handshake failed')
      socket.destroy()
    })
    tlsServer.on('error', (err) => options.log.error({ err }, 'mqtt tls listener error'))
    try {
      await listen(tlsServer, options.tls.port, options.host, 'MQTT over TLS')
    } catch (err) {
      server.close()
      throw err
    }
    const a = tlsServer.address()
    tlsPort = typeof a === 'object' && a ? a.port : options.tls.port
    tlsClosed = new Promise<void>((resolve) => tlsServer.once('close', () => resolve()))
  }

  return {
    tcpPort,
    ...(tlsPort !== undefined ? { tlsPort } : {}),

    setSecureContext(context) {
      tlsServer?.setSecureContext(context)
    },

    handleWebSocket(ws, req) {
      if (!accepting) {
        ws.close(1001, 'broker shutting down')
        return
      }
      if (options.noDelay) req.socket.setNoDelay(true)
      webSockets.add(ws)
      ws.once('close', () => webSockets.delete(ws))
      // Until CONNECT succeeds a frame may hold no more than the pre-CONNECT budget.
      setFrameLimit(ws, Math.min(options.maxPreConnectFrameBytes, options.maxFrameBytes))
      ws.on('error', (err) => options.log.debug({ err: err.message }, 'mqtt websocket error'))
      // ws is loaded by the upgrade that made `ws` (broker/websocket-upgrade.ts), not at start.
      const stream = (createRequire(import.meta.url)('ws') as typeof import('ws')).createWebSocketStream(ws)
      // aedes listens for 'error' on the stream once it has it; a failure before that must not throw.
      stream.on('error', (err) => options.log.debug({ err: err.message }, 'mqtt websocket stream error'))
      options.handle(stream, req).once('connected', () => setFrameLimit(ws, options.maxFrameBytes))
    },

    stopAccepting() {
      if (accepting) {
        accepting = false
        server.close()
        tlsServer?.close()
      }
      return Promise.all([closed, tlsClosed]).then(() => undefined)
    },

    dropAll() {
      for (const socket of sockets) socket.destroy()
      for (const ws of webSockets) ws.terminate()
    },
  }
}
