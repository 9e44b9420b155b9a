import { createServer, type IncomingMessage } from 'node:http'
import { Socket, connect } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { Harness, collect, nextMessage, sleep, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(async () => {
  vi.restoreAllMocks()
  await h.cleanup()
})

/** Local ports of the sockets setNoDelay(true) was called on. */
function spyNoDelay(): number[] {
  const ports: number[] = []
  const setNoDelay = Socket.prototype.setNoDelay
  vi.spyOn(Socket.prototype, 'setNoDelay').mockImplementation(function (this: Socket, noDelay?: boolean) {
    if (noDelay !== false && this.localPort !== undefined) ports.push(this.localPort)
    return setNoDelay.call(this, noDelay)
  })
  return ports
}

async function webSocketFront(handle: (ws: WebSocket, req: IncomingMessage) => void) {
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer()
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => handle(ws, req)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.onCleanup(() => new Promise((r) => server.close(r)))
  h.onCleanup(() => wss.close())
  return (server.address() as { port: number }).port
}

describe('listeners', () => {
  it('sets TCP_NODELAY on every MQTT socket, TCP and WebSocket, when noDelay is on', async () => {
    const ports = spyNoDelay()
    const broker = await h.broker({ noDelay: true })
    const wsPort = await webSocketFront((ws, req) => broker.handleWebSocket(ws, req))
    await h.client(broker.tcpPort, { protocolVersion: 4 })
    await h.client(wsPort, { protocolVersion: 5, protocol: 'ws', path: '/mqtt' })
    expect(ports).toContain(broker.tcpPort)
    expect(ports).toContain(wsPort)
  })

  it('leaves Nagle on when noDelay is off', async () => {
    const ports = spyNoDelay()
    const broker = await h.broker({ noDelay: false })
    await h.client(broker.tcpPort, { protocolVersion: 4 })
    expect(ports).not.toContain(broker.tcpPort)
  })

  it('refuses a packet larger than maxPacketBytes and advertises the limit to MQTT 5 clients [MQTT-3.2.2-15]', async () => {
    const broker = await h.broker({ maxPacketBytes: 1024 })
    const v5 = h.unconnected(broker.tcpPort, { protocolVersion: 5 })
    const connack = new Promise<Record<string, unknown> | undefined>((resolve) => v5.once('connect', (p) => resolve(p.properties)))
    v5.connect()
    expect((await connack)?.maximumPacketSize).toBe(1024)

    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    const closed = new Promise<void>((resolve) => v4.once('close', () => resolve()))
    v4.publish('big', Buffer.alloc(4096))
    await closed
    const ok = await h.client(broker.tcpPort, { protocolVersion: 4 })
    const got = nextMessage(ok, 'small')
    await ok.subscribeAsync('small')
    await ok.publishAsync('small', Buffer.alloc(512))
    expect((await got).packet.payload).toHaveLength(512)
  })

  it('closes a client silent for 1.5 times its keepalive and publishes its will [MQTT-3.1.2-24]', async () => {
    const broker = await h.broker()
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('ka/#')
    const seen = collect(watcher)
    // A hand-made MQTT 3.1.1 CONNECT: clean session, keepalive 1 s, will "ka/will" = "gone". Then silence.
    const str = (s: string) => [0, s.length, ...Buffer.from(s)]
    const body = [...str('MQTT'), 4, 0x06, 0, 1, ...str('silent-1'), ...str('ka/will'), ...str('gone')]
    const socket = connect(broker.tcpPort, '127.0.0.1')
    h.onCleanup(() => socket.destroy())
    const replies: Buffer[] = []
    socket.on('data', (d: Buffer) => replies.push(d))
    const closedAt = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now())))
    const t0 = performance.now()
    socket.write(Buffer.from([0x10, body.length, ...body]))
    await waitFor(() => replies.length > 0)
    expect([...replies[0]!]).toEqual([0x20, 0x02, 0x00, 0x00])
    const elapsed = (await closedAt) - t0
    expect(elapsed).toBeGreaterThan(1400)
    expect(elapsed).toBeLessThan(4000)
    await waitFor(() => seen.length === 1)
    expect(seen[0]).toMatchObject({ topic: 'ka/will', payload: 'gone' })
    await sleep(10)
  })
})
