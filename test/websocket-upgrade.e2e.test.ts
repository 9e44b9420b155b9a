/** MQTT over WebSocket on the HTTP port: paths, subprotocols, frame size, and sockets that misbehave (issue 8). */
import { connect } from 'node:net'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { connect4 } from '../broker/mqtt/fixtures/raw.js'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'

let home: TestHome | undefined
const cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await home?.stop()
  home = undefined
})

/** Opens a ws client and resolves with it once open, or with the HTTP status that refused it. */
function openWs(url: string, protocols: string[]): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols)
    cleanups.push(() => ws.terminate())
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }))
    ws.once('error', () => resolve({}))
  })
}

async function roundTrip(client: mqtt.MqttClient, topic: string): Promise<string> {
  await client.subscribeAsync(topic, { qos: 1 })
  const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())))
  await home!.api(`/v1/publish/${topic}`, { method: 'POST', body: 'hello' })
  return got
}

describe('the WebSocket upgrade', () => {
  it('survives a client that resets the connection after a 404 on another path', async () => {
    home = await startTestHome()
    for (let i = 0; i < 5; i++) {
      const socket = connect(home.httpPort, '127.0.0.1')
      socket.on('error', () => {})
      await new Promise<void>((resolve) => socket.once('connect', resolve))
      socket.write(
        `GET /nope HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
      const reply = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())))
      expect(reply).toMatch(/^HTTP\/1.1 404/)
      // An RST instead of a FIN, as a client that gives up does.
      socket.resetAndDestroy()
    }
    // Give the server time to read the resets.
    await new Promise((r) => setTimeout(r, 200))
    expect((await home.api('/v1/health')).status).toBe(200)
  })

  it('accepts MQTT over WebSocket on / as well as /mqtt (paho leaves its path at /)', async () => {
    home = await startTestHome()
    for (const path of ['/', '/mqtt']) {
      const client = await mqtt.connectAsync(`ws://127.0.0.1:${home.httpPort}${path}`, { reconnectPeriod: 0, protocolVersion: 4 })
      cleanups.push(() => client.endAsync(true))
      expect(await roundTrip(client, `ws/path${path === '/' ? 'root' : 'mqtt'}`)).toBe('hello')
    }
  })

  it('serves only the paths in mqtt.websocketPaths', async () => {
    home = await startTestHome({ mqtt: { websocketPaths: ['/devices'] } })
    expect((await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, ['mqtt'])).status).toBe(404)
    expect((await openWs(`ws://127.0.0.1:${home.httpPort}/devices`, ['mqtt'])).ws?.protocol).toBe('mqtt')
  })

  it('picks the mqtt subprotocol among those offered, and accepts an upgrade that offers none [MQTT-6.0.0-3]', async () => {
    home = await startTestHome()
    expect((await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, ['chat', 'mqtt'])).ws?.protocol).toBe('mqtt')
    expect((await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, ['mqttv3.1'])).ws?.protocol).toBe('mqttv3.1')
    const none = await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, [])
    expect(none.ws).toBeDefined()
    expect(none.ws?.protocol).toBe('')
  })

  it('refuses with 400 an upgrade that offers only unknown subprotocols', async () => {
    home = await startTestHome()
    expect((await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, ['chat', 'soap'])).status).toBe(400)
  })

  it('closes with 1009 a connected client whose frame is larger than mqtt.maxPacketBytes, without reading it whole', async () => {
    home = await startTestHome({ mqtt: { maxPacketBytes: 4096 } })
    const { ws } = await openWs(`ws://127.0.0.1:${home.httpPort}/mqtt`, ['mqtt'])
    // aedes may write one packet as several frames.
    const received: number[] = []
    ws!.on('message', (d: Buffer) => received.push(...d))
    ws!.send(connect4('ws-big'))
    await waitFor(() => received.length >= 4, 5000, 'the CONNACK')
    expect(received).toEqual([0x20, 0x02, 0x00, 0x00])
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)))
    ws!.send(Buffer.alloc(64 * 1024))
    expect(await closed).toBe(1009)
    const ok = await mqtt.connectAsync(`ws://127.0.0.1:${home.httpPort}/mqtt`, { reconnectPeriod: 0, protocolVersion: 5 })
    cleanups.push(() => ok.endAsync(true))
    expect(await roundTrip(ok, 'ws/small')).toBe('hello')
  })
})
