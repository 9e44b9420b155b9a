/**
 * The upstream defects the store corrections in ../persistence.ts make up for, reproduced on stock
 * aedes 2.0.0-beta.1 over stock aedes-persistence-level (no Postbridge layer). When one of these
 * fails after an upgrade, upstream fixed it: the matching correction can go.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Aedes } from 'aedes'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import type { IPublishPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../fixtures/harness.js'
import { rawClient, type RawClient } from '../fixtures/raw-client.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type Store = InstanceType<typeof AsyncLevelPersistence> & Record<string, (...args: unknown[]) => Promise<unknown>>

/** Stock aedes over stock aedes-persistence-level in a temp dir; `adapt` may wrap store methods. */
async function stockBroker(adapt: (store: Store) => void = () => {}): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'postbridge-stock-store-'))
  const db = new Level<string, string>(dir)
  const store = new AsyncLevelPersistence(db) as Store
  adapt(store)
  const aedes = await Aedes.createBroker({ persistence: store as never })
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await sleep(50) // aedes writes on after close() called back
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })
  return (server.address() as { port: number }).port
}

async function client(port: number, connect: Parameters<typeof rawClient>[1] = {}): Promise<RawClient> {
  const raw = await rawClient(port, connect)
  cleanups.push(() => raw.end())
  return raw
}

function publishes(raw: RawClient): IPublishPacket[] {
  return raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish')
}

const SESSION = { clientId: 'sub', clean: false, properties: { sessionExpiryInterval: 3600 } }

/** A persistent MQTT 5 session subscribed to q/t at `qos`, then offline. */
async function offlineSubscriber(port: number, qos: 0 | 1 | 2 = 1): Promise<void> {
  const sub = await client(port, SESSION)
  sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos }] })
  await sub.next('suback')
  sub.send({ cmd: 'disconnect' })
  await sub.closed()
}

async function publishQoS1(port: number, packet: Partial<IPublishPacket> = {}): Promise<void> {
  const pub = await client(port)
  pub.send({ cmd: 'publish', topic: 'q/t', payload: Buffer.from('m'), qos: 1, messageId: 1, retain: false, dup: false, ...packet })
  await pub.next('puback')
  pub.end()
}

describe('stock aedes 2.0.0-beta.1 over stock aedes-persistence-level 9.2.0 (../persistence.ts)', () => {
  it('loses the MQTT 5 properties of a message queued for an offline session (1.)', async () => {
    const port = await stockBroker()
    await offlineSubscriber(port)
    await publishQoS1(port, {
      properties: { responseTopic: 'r/t', correlationData: Buffer.from('c'), userProperties: { k: 'v' }, contentType: 'text/plain' },
    })
    const sub = await client(port, SESSION)
    const got = await sub.next('publish')
    expect(got.payload.toString()).toBe('m')
    expect(got.properties?.responseTopic).toBeUndefined()
    expect(got.properties?.correlationData).toBeUndefined()
    expect(got.properties?.userProperties).toBeUndefined()
    expect(got.properties?.contentType).toBeUndefined()
  })

  it("queues a message at the publisher's QoS, not the subscription's (2.) [MQTT-3.8.4-8]", async () => {
    const port = await stockBroker()
    await offlineSubscriber(port, 1)
    const pub = await client(port)
    pub.send({ cmd: 'publish', topic: 'q/t', payload: Buffer.from('m'), qos: 2, messageId: 1, retain: false, dup: false })
    await pub.next('pubrec')
    pub.send({ cmd: 'pubrel', messageId: 1 })
    await pub.next('pubcomp')
    const sub = await client(port, SESSION)
    expect((await sub.next('publish')).qos).toBe(2)
  })

  it('keeps the RETAIN flag on a message queued for an established subscription (3.) [MQTT-3.3.1-9]', async () => {
    const port = await stockBroker()
    await offlineSubscriber(port)
    await publishQoS1(port, { retain: true })
    const sub = await client(port, SESSION)
    expect((await sub.next('publish')).retain).toBe(true)
  })

  it('delivers the queue of a session whose expiry ran out to the next session of that client id (4.) [MQTT-4.1.0-2]', async () => {
    const port = await stockBroker()
    const sub = await client(port, { clientId: 'sub', clean: false, properties: { sessionExpiryInterval: 1 } })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos: 1 }] })
    await sub.next('suback')
    sub.send({ cmd: 'disconnect' })
    await sub.closed()
    await publishQoS1(port)
    await sleep(2500) // the 1 s Session Expiry Interval runs out, with a wide margin
    // (A Clean Start does not show it on stock: its queue is already empty when the session ends.)
    const next = await client(port, SESSION)
    expect((await next.next('connack')).sessionPresent).toBe(false)
    expect((await next.next('publish')).payload.toString()).toBe('m')
  })

  it('forwards to a persistent subscriber in the order its queue writes complete, not as published (5.) [MQTT-4.6.0-6]', async () => {
    // LevelDB completes writes on the thread pool in any order; a wrapper holds the first one's
    // completion until the test has seen what aedes did with the second.
    let openFirst!: () => void
    const firstHeld = new Promise<void>((resolve) => (openFirst = resolve))
    const port = await stockBroker((store) => {
      const enqueue = store.outgoingEnqueueCombi?.bind(store)
      let calls = 0
      store.outgoingEnqueueCombi = async (...args) => {
        const first = ++calls === 1
        const result = await enqueue?.(...args)
        if (first) await firstHeld
        return result
      }
    })
    const sub = await client(port, SESSION)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos: 1 }] })
    await sub.next('suback')
    const pub = await client(port)
    for (const id of [1, 2])
      pub.send({ cmd: 'publish', topic: 'q/t', payload: Buffer.from(String(id)), qos: 1, messageId: id, retain: false, dup: false })
    // A fixed aedes would hold "2" behind "1": then this wait ends at its timeout and the test fails.
    await waitFor(() => publishes(sub).length >= 1, 2000, 'a message').catch(() => {})
    openFirst()
    await waitFor(() => publishes(sub).length >= 1, 5000, 'a message')
    // "1" then comes after "2", or is dropped by aedes' duplicate check.
    expect(publishes(sub)[0]?.payload.toString()).toBe('2')
  })

  it("emits one client's retained messages in the order their writes complete, and may keep the older one stored (5.) [MQTT-4.6.0-6]", async () => {
    // The first write to the store starts late, as a busy thread pool may: the second lands first.
    let openFirst!: () => void
    const firstHeld = new Promise<void>((resolve) => (openFirst = resolve))
    let written = 0
    const port = await stockBroker((store) => {
      const storeRetained = store.storeRetained?.bind(store)
      let calls = 0
      store.storeRetained = async (...args) => {
        if (++calls === 1) await firstHeld
        const result = await storeRetained?.(...args)
        written++
        return result
      }
    })
    const sub = await client(port)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r/t', qos: 0 }] })
    await sub.next('suback')
    const pub = await client(port)
    for (const id of [1, 2])
      pub.send({ cmd: 'publish', topic: 'r/t', payload: Buffer.from(String(id)), qos: 1, messageId: id, retain: true, dup: false })
    // A fixed aedes would hold "2" behind "1": then this wait ends at its timeout and the test fails.
    await waitFor(() => publishes(sub).length >= 1, 2000, 'a message').catch(() => {})
    openFirst()
    await waitFor(() => written === 2, 5000, 'both writes')
    // "1" then comes after "2", or is dropped by aedes' duplicate check; and it is the one stored.
    expect(publishes(sub)[0]?.payload.toString()).toBe('2')
    const late = await client(port)
    late.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r/t', qos: 0 }] })
    expect((await late.next('publish')).payload.toString()).toBe('1')
  })
})
