/**
 * The upstream defects the corrections in this folder make up for, reproduced on stock aedes
 * 2.0.0-beta.1 (no Postbridge layer). When one of these fails after an aedes upgrade, aedes fixed
 * it: the matching correction can go. (Others sit beside their correction's tests: emitter-gate,
 * packet-check, repeated-properties, resume-without-expiry, connack-rate-exceeded, last-line,
 * stored-session-expiry.)
 */
import { createServer, type Server } from 'node:net'
import { Aedes, type AedesOptions } from 'aedes'
import type { IPublishPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { sleep, waitFor } from '../fixtures/harness.js'
import { rawClient, type RawClient } from '../fixtures/raw-client.js'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function stockBroker(options: AedesOptions = {}): Promise<number> {
  const aedes = await Aedes.createBroker(options)
  const server: Server = createServer(aedes.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const address = server.address()
  return typeof address === 'object' && address ? address.port : 0
}

async function client(port: number, connect: Parameters<typeof rawClient>[1] = {}): Promise<RawClient> {
  const raw = await rawClient(port, connect)
  cleanups.push(() => raw.end())
  return raw
}

function publishes(raw: RawClient): IPublishPacket[] {
  return raw.packets.filter((p): p is IPublishPacket => p.cmd === 'publish')
}

function publish(raw: RawClient, topic: string, payload: string, qos: 0 | 1 = 1, messageId = 1): void {
  raw.send({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, messageId: qos ? messageId : undefined, retain: false, dup: false })
}

describe('stock aedes 2.0.0-beta.1', () => {
  it("ignores the client's Receive Maximum (receive-maximum.ts) [MQTT-3.3.4-9]", async () => {
    const port = await stockBroker()
    const sub = await client(port, { properties: { receiveMaximum: 2 } })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#', qos: 1 }] })
    await sub.next('suback')
    const pub = await client(port)
    for (let i = 1; i <= 10; i++) publish(pub, 'x/t', String(i), 1, i)
    await waitFor(() => publishes(sub).length === 10, 5000, 'ten unacknowledged messages')
  })

  it("sends packets above the client's Maximum Packet Size (packet-size.ts) [MQTT-3.1.2-24]", async () => {
    const port = await stockBroker()
    const sub = await client(port, { properties: { maximumPacketSize: 1000 } })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#', qos: 0 }] })
    await sub.next('suback')
    const pub = await client(port)
    publish(pub, 'x/t', 'y'.repeat(2000), 0)
    expect((await sub.next('publish')).payload.length).toBe(2000)
  })

  it('refuses MQTT 5 shared subscriptions with 0x9E and advertises them unavailable (shared-subscriptions.ts)', async () => {
    const port = await stockBroker()
    const sub = await client(port)
    expect((await sub.next('connack')).properties?.sharedSubscriptionAvailable).toBe(false)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/x', qos: 0 }] })
    expect((await sub.next('suback')).granted).toEqual([0x9e])
  })

  it('grants a 3.1.1 shared subscription that then receives nothing (shared-subscriptions.ts)', async () => {
    const port = await stockBroker()
    const sub = await client(port, { protocolVersion: 4 })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/x', qos: 0 }] })
    expect((await sub.next('suback')).granted).toEqual([0])
    const pub = await client(port, { protocolVersion: 4 })
    publish(pub, 'x', 'lost', 0)
    await sleep(300)
    expect(publishes(sub)).toEqual([])
  })

  it('refuses a 3.1.1 client above keepaliveLimit with return code 6, which 3.1.1 does not define (server-keep-alive.ts)', async () => {
    const port = await stockBroker({ keepaliveLimit: 10 })
    const raw = await client(port, { protocolVersion: 4, keepalive: 60 })
    expect(await raw.next('connack')).toMatchObject({ returnCode: 6 })
  })

  it('sends one Subscription Identifier for overlapping subscriptions (subscription-identifiers.ts) [MQTT-3.3.4-4]', async () => {
    const port = await stockBroker()
    const sub = await client(port)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/+', qos: 0 }], properties: { subscriptionIdentifier: 7 } })
    sub.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'x/#', qos: 0 }], properties: { subscriptionIdentifier: 9 } })
    await waitFor(() => sub.packets.filter((p) => p.cmd === 'suback').length === 2, 5000, 'two SUBACKs')
    const pub = await client(port)
    publish(pub, 'x/t', 'm', 0)
    const got = await sub.next('publish')
    expect([got.properties?.subscriptionIdentifier].flat()).toHaveLength(1)
  })

  it('never counts QoS 2 messages in flight against its Receive Maximum (server-receive-maximum.ts) [MQTT-3.3.4-8]', async () => {
    const port = await stockBroker({ receiveMaximum: 2 })
    const raw = await client(port)
    for (let id = 1; id <= 5; id++) publish2(raw, id)
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'pubrec').length === 5, 5000, 'five PUBRECs')
    expect(raw.packets.some((p) => p.cmd === 'disconnect')).toBe(false)
  })
})

describe('stock aedes 2.0.0-beta.1, the corrections that came first', () => {
  it('delivers a QoS 2 message at QoS 2 through a QoS 1 wildcard subscription (delivery-window.ts) [MQTT-3.8.4-8]', async () => {
    const port = await stockBroker()
    const sub = await client(port)
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/+', qos: 1 }] })
    expect((await sub.next('suback')).granted).toEqual([1])
    const pub = await client(port)
    publish2(pub, 1, 'a/x')
    await pub.next('pubrec')
    pub.send({ cmd: 'pubrel', messageId: 1 })
    expect((await sub.next('publish')).qos).toBe(2)
  })

  it('closes a 3.1.1 connection whose publish is denied, so a device retries it for ever (publish-flow.ts) [MQTT-3.3.5-2]', async () => {
    const port = await stockBroker({ authorizePublish: (_client, _packet, callback) => callback(new Error('denied')) })
    const pub = await client(port, { protocolVersion: 4 })
    publish(pub, 'not/mine', 'x', 1)
    await pub.closed()
    expect(pub.packets.some((p) => p.cmd === 'puback')).toBe(false)
  })

  it('never sends a topic alias to a client that accepts them (topic-alias-out.ts) [MQTT-3.3.2-12]', async () => {
    const port = await stockBroker()
    const sub = await client(port, { properties: { topicAliasMaximum: 10 } })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'x/#', qos: 0 }] })
    await sub.next('suback')
    const pub = await client(port)
    publish(pub, 'x/long/topic/name', '1', 0)
    publish(pub, 'x/long/topic/name', '2', 0)
    await waitFor(() => publishes(sub).length === 2, 5000, 'two messages')
    for (const got of publishes(sub)) {
      expect(got.topic).toBe('x/long/topic/name')
      expect(got.properties?.topicAlias).toBeUndefined()
    }
  })
})

function publish2(raw: RawClient, messageId: number, topic = 'q/t'): void {
  raw.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 2, messageId, retain: false, dup: false })
}
