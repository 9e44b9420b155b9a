import { createServer } from 'node:http'
import type { IClientOptions } from 'mqtt'
import { WebSocketServer } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttBroker } from './broker.js'
import { Harness } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** An HTTP server on 127.0.0.1 that hands /mqtt upgrades to the broker, as home.ts does. */
async function webSocketFront(broker: MqttBroker): Promise<number> {
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer()
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/mqtt') return socket.destroy()
    wss.handleUpgrade(req, socket, head, (ws) => broker.handleWebSocket(ws, req))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.onCleanup(() => new Promise((r) => server.close(r)))
  h.onCleanup(() => wss.close())
  return (server.address() as { port: number }).port
}

function overWebSocket(port: number, headers: Record<string, string> = {}): IClientOptions {
  return { protocolVersion: 5, protocol: 'ws', host: '127.0.0.1', port, path: '/mqtt', wsOptions: { headers } }
}

const PROXY_HEADERS: Record<string, string>[] = [
  { Forwarded: 'for=203.0.113.9' },
  { 'X-Forwarded-For': '203.0.113.9' },
  { 'X-Real-IP': '203.0.113.9' },
  { 'CF-Connecting-IP': '203.0.113.9' },
  { 'True-Client-IP': '203.0.113.9' },
]

describe('anonymous clients and loopback', () => {
  it('accepts an anonymous client on loopback over direct TCP and a direct WebSocket', async () => {
    const broker = await h.broker()
    const port = await webSocketFront(broker)
    expect((await h.client(broker.tcpPort, { protocolVersion: 5 })).connected).toBe(true)
    expect((await h.client(0, overWebSocket(port))).connected).toBe(true)
  })

  for (const headers of PROXY_HEADERS) {
    const name = Object.keys(headers)[0]!
    it(`treats a WebSocket upgrade carrying ${name} as remote: anonymous is refused with 0x87 [MQTT-3.2.2-6]`, async () => {
      const broker = await h.broker()
      const port = await webSocketFront(broker)
      const refused = await h.refusedConnect(0, overWebSocket(port, headers))
      expect(refused.code).toBe(0x87)
    })
  }

  it('refuses anonymous clients on loopback too with anonymousFromLoopback false, over TCP (3.1.1 and 5) and WebSocket', async () => {
    const broker = await h.broker({ anonymousFromLoopback: false })
    const port = await webSocketFront(broker)
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 4 })).code).toBe(5)
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 5 })).code).toBe(0x87)
    expect((await h.refusedConnect(0, overWebSocket(port))).code).toBe(0x87)
    const mosquitto = await h.mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcpPort), '-t', 'x', '-m', 'y'])
    expect(mosquitto.code).not.toBe(0)
  })

  it('still accepts anonymous clients from anywhere when allowAnonymous is true, whatever anonymousFromLoopback says', async () => {
    const broker = await h.broker({ allowAnonymous: true, anonymousFromLoopback: false })
    const port = await webSocketFront(broker)
    expect((await h.client(0, overWebSocket(port, { 'X-Forwarded-For': '203.0.113.9' }))).connected).toBe(true)
  })
})
