import { once } from 'node:events'
import { Socket, connect, createServer } from 'node:net'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, waitFor } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'
import { holdUntilTurnEnds } from './write-batch.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** Counts the writes a socket hands to the OS (one per write or writev). */
function countWrites(socket: Socket): { count: number } {
  const counter = { count: 0 }
  const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
  for (const name of ['_write', '_writev'] as const) {
    const original = internals[name].bind(socket)
    internals[name] = (...args) => {
      counter.count++
      return original(...args)
    }
  }
  return counter
}

/** A connected pair of real TCP sockets on 127.0.0.1: the one the server accepted, and its peer. */
async function socketPair(): Promise<{ server: Socket; peer: Socket }> {
  const listener = createServer()
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  const address = listener.address() as { port: number }
  const peer = connect({ host: '127.0.0.1', port: address.port })
  const [server] = (await once(listener, 'connection')) as [Socket]
  listener.close()
  for (const s of [server, peer]) s.on('error', () => {})
  h.onCleanup(() => {
    server.destroy()
    peer.destroy()
  })
  return { server, peer }
}

/** Runs each function in its own callback of one loop turn (as separate I/O callbacks would), then waits for the turn after. */
async function inSeparateCallbacks(fns: (() => void)[]): Promise<void> {
  await new Promise<void>((resolve) => {
    for (const fn of fns) setImmediate(fn)
    setImmediate(resolve)
  })
  await new Promise((r) => setImmediate(r))
}

function publish(i: number): Packet {
  return { cmd: 'publish', topic: `wb/${i}`, payload: Buffer.from(`m${i}`), qos: 0, retain: false, dup: false }
}

describe('holding a socket corked until the loop turn ends', () => {
  it('writes mqtt-packet alone once per packet (the behaviour the hold changes)', async () => {
    const { server } = await socketPair()
    const writes = countWrites(server)
    await inSeparateCallbacks([0, 1, 2].map((i) => () => mqttPacket.writeToStream(publish(i), server)))
    expect(writes.count).toBe(3)
  })

  it('sends the packets written to a held socket in one turn in one write, all of them, in order', async () => {
    const { server, peer } = await socketPair()
    const writes = countWrites(server)
    const parser = mqttPacket.parser()
    const got: Packet[] = []
    parser.on('packet', (p: Packet) => got.push(p))
    peer.on('data', (d: Buffer) => parser.parse(d))
    const held: number[] = []
    await inSeparateCallbacks(
      [0, 1, 2].map((i) => () => {
        holdUntilTurnEnds(server)
        mqttPacket.writeToStream(publish(i), server)
        // Still held after mqtt-packet's own nextTick uncork of the packet before.
        held.push(writes.count)
      }),
    )
    expect(held).toEqual([0, 0, 0])
    expect(writes.count).toBe(1)
    await waitFor(() => got.length === 3, 5000, 'three packets')
    expect(got.map((p) => (p.cmd === 'publish' ? p.topic : p.cmd))).toEqual(['wb/0', 'wb/1', 'wb/2'])
  })

  it('keeps backpressure: write() says false once a turn holds a highWaterMark for the socket', async () => {
    const { server } = await socketPair()
    holdUntilTurnEnds(server)
    const chunk = Buffer.alloc(1024)
    let accepted = 0
    while (server.write(chunk)) accepted++
    expect(accepted).toBeLessThan(server.writableHighWaterMark / chunk.length)
    await once(server, 'drain')
  })

  it('releases a socket destroyed while held without an error', async () => {
    const { server } = await socketPair()
    const errors: unknown[] = []
    server.on('error', (err) => errors.push(err))
    holdUntilTurnEnds(server)
    mqttPacket.writeToStream(publish(0), server)
    server.destroy()
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(errors).toEqual([])
    // A destroyed socket is not held again.
    holdUntilTurnEnds(server)
    expect(server.writableCorked).toBe(0)
  })
})

describe('the broker batches what it writes to a client in one turn', () => {
  it('delivers messages published in one turn to a subscriber in one socket write', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await rawClient(broker.tcpPort, { clientId: 'wb-sub' })
    h.onCleanup(() => sub.end())
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'wb/#', qos: 0 }] } as Packet)
    await sub.next('suback')
    // The server's end of the subscriber's connection: the accepted socket whose peer is `sub`.
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>
    let writes = 0
    const originals = { _write: proto._write, _writev: proto._writev }
    for (const name of ['_write', '_writev'] as const) {
      proto[name] = function (this: Socket, ...args: unknown[]) {
        if (this.remotePort === sub.socket.localPort && this.localPort === broker.tcpPort) writes++
        return originals[name].apply(this, args)
      }
    }
    h.onCleanup(() => Object.assign(proto, originals))
    const from = sub.packets.length
    for (let i = 0; i < 5; i++) void broker.bus.publish({ topic: `wb/${i}`, payload: new TextEncoder().encode(`m${i}`), qos: 0, retain: false })
    await waitFor(() => sub.packets.length - from === 5, 5000, 'five messages')
    expect(writes).toBe(1)
  })
})
