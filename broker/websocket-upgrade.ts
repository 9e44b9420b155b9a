/**
 * The HTTP server's 'upgrade' handler: MQTT over WebSocket on the configured paths (mqtt.websocketPaths).
 *
 * - Every socket gets an 'error' listener first: a client that resets the connection after a refusal
 *   (a 404 for another path) otherwise raised an unhandled 'error' event that ended the process.
 * - The `mqtt` subprotocol is chosen when offered [MQTT-6.0.0-3] (`mqttv3.1` for MQTT 3.1 clients);
 *   an upgrade that offers only other subprotocols is refused with 400. No subprotocol at all is
 *   accepted, as some device libraries send none.
 * - A frame is capped at mqtt.maxPacketBytes (ws' own default is 100 MiB), lower until CONNECT
 *   succeeds (broker/mqtt/listeners.ts).
 * - ws is loaded on the first upgrade: a node without WebSocket clients never pays its memory and start time.
 */
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import type { Logger } from '../src/ports/logger.js'

/** The subprotocols MQTT over WebSocket uses, in order of preference. */
const MQTT_SUBPROTOCOLS = ['mqtt', 'mqttv3.1']

export interface UpgradeOptions {
  /** Request paths (without query) that carry MQTT. */
  paths: readonly string[]
  /** Largest WebSocket frame accepted. */
  maxPacketBytes: number
  handleWebSocket(ws: WebSocket, req: IncomingMessage): void
  log: Logger
}

export interface UpgradeHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  close(): void
}

function refuse(socket: Duplex, status: 400 | 404, reason: string): void {
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** The subprotocols a request offers (Sec-WebSocket-Protocol, comma separated), lower-cased. */
export function offeredSubprotocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol']
  if (header === undefined) return []
  return header
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p.length > 0)
}

export function createUpgradeHandler(options: UpgradeOptions): UpgradeHandler {
  const paths = new Set(options.paths)
  let server: WebSocketServer | undefined
  const wss = () =>
    (server ??= new (createRequire(import.meta.url)('ws') as typeof import('ws')).WebSocketServer({
      noServer: true,
      maxPayload: options.maxPacketBytes,
      handleProtocols: (offered) => MQTT_SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
    }))
  return {
    handleUpgrade(req, socket, head) {
      // Before anything is written: a reset from the peer must not become an unhandled 'error'.
      socket.on('error', (err) => options.log.debug({ err: err.message, url: req.url }, 'websocket upgrade socket error'))
      const path = (req.url ?? '').split('?')[0]!
      if (!paths.has(path)) {
        refuse(socket, 404, 'Not Found')
        return
      }
      const offered = offeredSubprotocols(req)
      if (offered.length > 0 && !offered.some((p) => MQTT_SUBPROTOCOLS.includes(p))) {
        refuse(socket, 400, 'Bad Request')
        return
      }
      wss().handleUpgrade(req, socket, head, (ws) => options.handleWebSocket(ws, req))
    },
    close() {
      server?.close()
    },
  }
}
