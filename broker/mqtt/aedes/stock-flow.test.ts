/**
 * The upstream defects session-resume.ts, connection-guard.ts and publish-flow.ts make up for,
 * reproduced on stock aedes 2.0.0-beta.1 (no Postbridge layer). The races are made deterministic by
 * holding one store operation until the test has seen the defect, not by timing. When one of these
 * fails after an aedes upgrade, aedes fixed it: the matching correction can go.
 */
import { connect, createServer, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import { Aedes } from 'aedes'
import type { IPublishPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../fixtures/harness.js'
import { rawClient, type RawClient } from '../fixtures/raw-client.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type Store = Record<string, (...args: unknown[]) => unknown>

/** Stock aedes (memory persistence) on 127.0.0.1:0; `sockets` are the server's side of each connection. */
async function stockBroker(): Promise<{ port: number; store: Store; sockets: Socket[] }> {
  const aedes = await Aedes.createBroker()
  const sockets: Socket[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    aedes.handle(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
  })
  const port = (server.address() as { port: number }).port
  return { port, store: (aedes as unknown as { persistence: Store }).persistence, sockets }
}

async function client(port: number, connect: Parameters<typeof rawClient>[1] = {}): Promise<RawClient> {
  const raw = await rawClient(port, connect)
  cleanups.push(() => raw.end())
  return raw
}

function payloads(raw: RawClient): string[] {
  return raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish').map((p) => p.payload.toString())
}

function publish(raw: RawClient, payload: string, messageId: number): void {
  raw.send({ cmd: 'publish', topic: 'q/t', payload: Buffer.from(payload), qos: 1, messageId, retain: false, dup: false })
}

const SESSION = { clientId: 'sub', clean: false, properties: { sessionExpiryInterval: 3600 } }

/** A promise the test settles by hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

describe('stock aedes 2.0.0-beta.1, the corrections without a reproduction so far', () => {
  it("lets a live message overtake, and then repeat after, a resumed session's queued one (session-resume.ts) [MQTT-4.6.0-6]", async () => {
    const { port, store } = await stockBroker()
    const replay = gate()
    let holdReplay = false
    const outgoingStream = (store.outgoingStream as Store[string]).bind(store) as (client: unknown) => Readable
    // The replay of the stored queue (emptyQueue, after CONNACK) waits until the test opens it.
    store.outgoingStream = (c) => {
      if (!holdReplay) return outgoingStream(c)
      return Readable.from(
        (async function* () {
          await replay.opened
          yield* outgoingStream(c)
        })(),
      )
    }
    const first = await client(port, SESSION)
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos: 1 }] })
    await first.next('suback')
    first.send({ cmd: 'disconnect' })
    await first.closed()
    const pub = await client(port)
    publish(pub, 'old', 1)
    for (let i = 0; (await outgoingStream({ id: 'sub' }).toArray()).length === 0; i++) {
      if (i === 500) throw new Error('timed out waiting for the message queued')
      await sleep(10)
    }

    holdReplay = true
    const sub = await client(port, SESSION)
    publish(pub, 'new', 2)
    // Stock aedes writes the live message while the queue is still being read; a fixed one holds it.
    await waitFor(() => payloads(sub).includes('new'), 2000, 'the live message').catch(() => {})
    replay.open()
    // The replay then sends the queue, which holds the live message too (aedes queues every QoS 1
    // message for a persistent session): it arrives twice.
    await waitFor(() => payloads(sub).length === 3, 5000, 'the replayed queue')
    expect(payloads(sub)).toEqual(['new', 'old', 'new'])
  })

  it('buffers up to the maximum packet size from a connection that has not sent its CONNECT yet (connection-guard.ts)', async () => {
    const { port, sockets } = await stockBroker()
    const socket = connect({ host: '127.0.0.1', port })
    socket.on('error', () => {})
    cleanups.push(() => void socket.destroy())
    let closed = false
    socket.on('close', () => (closed = true))
    await new Promise<void>((resolve) => socket.once('connect', resolve))
    // A CONNECT declaring 1 MiB (Remaining Length 0x80 0x80 0x40), then 256 KiB of it: never complete.
    const sent = 256 * 1024
    socket.write(Buffer.from([0x10, 0x80, 0x80, 0x40]))
    socket.write(Buffer.alloc(sent, 0x41))
    await waitFor(() => (sockets[0]?.bytesRead ?? 0) >= sent, 5000, 'the broker to read it all')
    await sleep(200)
    expect(closed).toBe(false)
    expect(sockets[0]?.destroyed).toBe(false)
  })

  it('sends PUBACK before the message is stored for its subscribers (publish-flow.ts) [MQTT-4.3.2-2]', async () => {
    const { port, store } = await stockBroker()
    const write = gate()
    let stored = false
    const enqueue = (store.outgoingEnqueueCombi as Store[string]).bind(store) as (...args: unknown[]) => Promise<unknown>
    // The store write for the persistent subscriber completes only once the test opens it.
    store.outgoingEnqueueCombi = async (...args) => {
      await write.opened
      const result = await enqueue(...args)
      stored = true
      return result
    }
    const sub = await client(port, SESSION)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos: 1 }] })
    await sub.next('suback')
    const pub = await client(port)
    publish(pub, 'm', 1)
    const acked = await pub.next('puback', 2000).then(
      () => true,
      () => false,
    )
    const storedAtPuback = stored
    write.open()
    await waitFor(() => stored, 5000, 'the message stored')
    expect(acked).toBe(true)
    expect(storedAtPuback).toBe(false)
  })
})
