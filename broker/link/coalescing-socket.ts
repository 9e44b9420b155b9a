/**
 * A `ws` WebSocket whose sends within a few milliseconds go out as one frame. The link's packets are small (a PUBACK
 * is 4 bytes) and each WebSocket frame costs the edge one Durable Object event, so acknowledging a batch of
 * messages in one frame is what lets the edge's queue drain at thousands of messages per second instead of
 * hundreds. MQTT over WebSocket allows several packets per frame [MQTT-6.0.0-2].
 */
import WebSocket from 'ws'

/** How long a send may wait for company; a frame also goes once it holds FLUSH_BYTES. */
export const COALESCE_MS = 2
const FLUSH_BYTES = 64 * 1024

type SendCallback = (err?: Error) => void

export function coalescingWebSocket(url: string, protocols: string[], options?: WebSocket.ClientOptions): WebSocket {
  const socket = new WebSocket(url, protocols, options)
  const send = socket.send.bind(socket) as (data: Buffer, cb?: SendCallback) => void
  let pending: Buffer[] = []
  let bytes = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (pending.length === 0) return
    const frame = pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes)
    pending = []
    bytes = 0
    // A socket that closed meanwhile loses the frame: what it carried is resent after the next connect.
    if (socket.readyState === WebSocket.OPEN) send(frame, () => {})
  }
  socket.send = ((data: Buffer | Uint8Array, ...rest: unknown[]) => {
    const cb = rest.find((r): r is SendCallback => typeof r === 'function')
    if (socket.readyState !== WebSocket.OPEN) {
      cb?.(new Error('WebSocket is not open'))
      return
    }
    const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data)
    pending.push(chunk)
    bytes += chunk.byteLength
    if (bytes >= FLUSH_BYTES) flush()
    else timer ??= setTimeout(flush, COALESCE_MS)
    cb?.()
  }) as typeof socket.send
  socket.once('close', () => {
    if (timer !== undefined) clearTimeout(timer)
    pending = []
  })
  return socket
}
