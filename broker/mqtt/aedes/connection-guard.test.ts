/** What a connection may make the broker hold before its CONNACK, over TCP and WebSocket (issue 8). */
import { createServer } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createUpgradeHandler } from '../../websocket-upgrade.js'
import type { MqttBroker } from '../broker.js'
import { Harness, nextMessage, sleep } from '../fixtures/harness.js'
import { packet, rawClient, str, varInt } from '../fixtures/raw.js'
import { declaredPacketSize, PRE_CONNECT_SLACK_BYTES } from './connection-guard.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** An HTTP server whose upgrades go to the broker through the home node's real upgrade handler. */
async function webSocketPort(broker: MqttBroker, maxPacketBytes: number): Promise<number> {
  const upgrades = createUpgradeHandler({
    paths: ['/mqtt'],
    maxPacketBytes,
    handleWebSocket: (ws, req) => broker.handleWebSocket(ws, req),
    log: h.log,
  })
  const server = createServer()
  server.on('upgrade', (req, socket, head) => upgrades.handleUpgrade(req, socket, head))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.onCleanup(() => new Promise((r) => server.close(r)))
  h.onCleanup(() => upgrades.close())
  return (server.address() as { port: number }).port
}

/** A raw socket that has completed a WebSocket handshake on /mqtt with the mqtt subprotocol. */
async function rawWebSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  h.onCleanup(() => socket.destroy())
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  socket.write(
    'GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
  )
  const reply = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))))
  expect(reply).toMatch(/^HTTP\/1.1 101/)
  return socket
}

/** A masked binary frame header for `length` bytes, mask key 0 (so the payload goes as is). */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14)
  header[0] = 0x82
  header[1] = 0x80 | 127
  header.writeBigUInt64BE(BigInt(length), 2)
  return header // the last four bytes, the mask key, stay 0
}

const CHUNK = Buffer.alloc(64 * 1024)

/** Writes up to `total` bytes (zeros) after `prefix`, honouring backpressure; returns how many went out before the peer closed. */
async function pour(socket: Socket, prefix: Buffer, total: number): Promise<number> {
  let closed = false
  socket.once('close', () => (closed = true))
  socket.write(prefix)
  let sent = 0
  while (sent < total && !closed) {
    const n = Math.min(CHUNK.length, total - sent)
    sent += n
    if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
      await new Promise<void>((resolve) => {
        const done = () => (socket.off('drain', done), socket.off('close', done), resolve())
        socket.once('drain', done)
        socket.once('close', done)
      })
    }
  }
  if (!closed) await new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return sent
}

/** Samples memory while `work` runs; resolves with the peak growth in MB of RSS and of heap plus buffers. */
async function peakGrowthMb(work: () => Promise<unknown>): Promise<{ rss: number; heap: number }> {
  global.gc?.()
  const heapOf = (m: NodeJS.MemoryUsage) => m.heapUsed + m.arrayBuffers
  const base = process.memoryUsage()
  let rss = base.rss
  let heap = heapOf(base)
  const sample = () => {
    const m = process.memoryUsage()
    rss = Math.max(rss, m.rss)
    heap = Math.max(heap, heapOf(m))
  }
  const timer = setInterval(sample, 10)
  try {
    await work()
  } finally {
    clearInterval(timer)
  }
  sample()
  return { rss: (rss - base.rss) / 1e6, heap: (heap - heapOf(base)) / 1e6 }
}

describe('declaredPacketSize', () => {
  it('reads the Remaining Length of a fixed header once it is complete', () => {
    expect(declaredPacketSize(Buffer.from([0x10]))).toBeUndefined()
    expect(declaredPacketSize(Buffer.from([0x10, 0x80]))).toBeUndefined()
    expect(declaredPacketSize(Buffer.from([0x10, ...varInt(300)]))).toEqual({ bodyBytes: 300, headerBytes: 3 })
    expect(declaredPacketSize(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))).toBe('malformed')
  })
})

describe('the pre-CONNECT budget', () => {
  it('closes a TCP connection whose CONNECT declares more than maxConnectBytes, before reading it', async () => {
    const broker = await h.broker({ maxConnectBytes: 4096 })
    const raw = await rawClient(broker.tcpPort, (fn) => h.onCleanup(fn))
    // Within mqtt.maxPacketBytes (1 MiB), so stock aedes would wait for all of it, 30 s per connection.
    raw.send(Buffer.from([0x10, ...varInt(512 * 1024)]))
    await raw.closed
    expect(h.log.lines.some((l) => l.msg === 'mqtt connection over its pre-connect budget, closed')).toBe(true)
  })

  it('still accepts a CONNECT of maxConnectBytes followed by pipelined packets within the slack', async () => {
    const broker = await h.broker({ allowAnonymous: true, maxConnectBytes: 4096 })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await watcher.subscribeAsync('budget/ok')
    const got = nextMessage(watcher, 'budget/ok')
    const raw = await rawClient(broker.tcpPort, (fn) => h.onCleanup(fn))
    // A will payload fills the CONNECT up to exactly maxConnectBytes.
    const fixed = [...str('MQTT'), 4, 0x06, 0, 60, ...str('big-connect'), ...str('budget/will')]
    const willPayload = 'w'.repeat(4096 - 3 - fixed.length - 2)
    const connectPacket = packet(0x10, [...fixed, ...str(willPayload)])
    expect(connectPacket.length).toBe(4096)
    const publish = packet(0x30, [...str('budget/ok'), ...Buffer.alloc(PRE_CONNECT_SLACK_BYTES - 64)])
    raw.send(Buffer.concat([connectPacket, publish]))
    expect((await got).payload).toHaveLength(PRE_CONNECT_SLACK_BYTES - 64)
    expect(raw.isClosed()).toBe(false)
  })

  it('closes with 1009 a WebSocket whose first frame is over the budget, long before mqtt.maxPacketBytes', async () => {
    const broker = await h.broker({ maxPacketBytes: 8 * 1024 * 1024, maxConnectBytes: 4096 })
    const port = await webSocketPort(broker, 8 * 1024 * 1024)
    const socket = await rawWebSocket(port)
    const frames: Buffer[] = []
    socket.on('data', (d: Buffer) => frames.push(d))
    const sent = await pour(socket, frameHeader(4 * 1024 * 1024), 4 * 1024 * 1024)
    expect(sent).toBeLessThan(4 * 1024 * 1024)
    // A close frame: 0x88, then the status code 1009 (message too big).
    const reply = Buffer.concat(frames)
    expect(reply[0]).toBe(0x88)
    expect(reply.readUInt16BE(2)).toBe(1009)
  })

  it('keeps memory bounded and closes every socket when anonymous connections send huge frames and headers', async () => {
    const broker = await h.broker({ maxPacketBytes: 64 * 1024 * 1024 })
    const port = await webSocketPort(broker, 64 * 1024 * 1024)
    const FRAME = 48 * 1024 * 1024
    let sentTotal = 0
    const growth = await peakGrowthMb(async () => {
      const attacks: Promise<number>[] = []
      for (let i = 0; i < 4; i++) attacks.push(rawWebSocket(port).then((s) => pour(s, frameHeader(FRAME), FRAME)))
      for (let i = 0; i < 4; i++) {
        attacks.push(rawClient(broker.tcpPort, (fn) => h.onCleanup(fn)).then((raw) => pour(raw.socket, Buffer.from([0x10, ...varInt(FRAME)]), FRAME)))
      }
      sentTotal = (await Promise.all(attacks)).reduce((a, b) => a + b, 0)
    })
    console.info(
      `pre-connect flood: ${(sentTotal / 1e6).toFixed(1)} MB accepted of ${((8 * FRAME) / 1e6).toFixed(0)} MB sent at the broker; peak rss +${growth.rss.toFixed(0)} MB, heap and buffers +${growth.heap.toFixed(0)} MB`,
    )
    expect(sentTotal).toBeLessThan(8 * FRAME)
    expect(growth.rss).toBeLessThan(100)
    expect(growth.heap).toBeLessThan(100)
    // The broker still answers.
    await sleep(50)
    const ok = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const got = nextMessage(ok, 'budget/after')
    await ok.subscribeAsync('budget/after')
    await ok.publishAsync('budget/after', 'fine')
    expect((await got).payload).toBe('fine')
  })
})
