import type { IPublishPacket } from 'mqtt-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, sleep, waitFor } from '../fixtures/harness.js'
import { rawClient, type RawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

function publishes(client: RawClient): IPublishPacket[] {
  return client.packets.filter((p): p is IPublishPacket => p.cmd === 'publish')
}

/** Acknowledges every QoS 1 PUBLISH not acknowledged yet, in order. */
function ackAll(client: RawClient, acked: Set<number>): void {
  for (const p of publishes(client)) {
    if (p.messageId !== undefined && !acked.has(p.messageId)) {
      acked.add(p.messageId)
      client.send({ cmd: 'puback', messageId: p.messageId })
    }
  }
}

async function openRaw(port: number, props: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const raw = await rawClient(port, { properties: props, ...extra })
  h.onCleanup(() => raw.end())
  return raw
}

describe("the client's Receive Maximum", () => {
  it('keeps at most 2 unacknowledged QoS 1 messages in flight to a client that asked for 2; the rest follow in order [MQTT-3.3.4-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await openRaw(broker.tcpPort, { receiveMaximum: 2 })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rm/#', qos: 1 }] })
    await raw.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 10; i++) await pub.publishAsync('rm/t', String(i), { qos: 1 })

    await waitFor(() => publishes(raw).length >= 2, 5000, 'the first two messages')
    await sleep(300) // room for more to arrive, were the limit not kept
    expect(publishes(raw)).toHaveLength(2)

    const acked = new Set<number>()
    const deadline = Date.now() + 10_000
    while (publishes(raw).length < 10 && Date.now() < deadline) {
      const before = publishes(raw).length
      ackAll(raw, acked)
      await waitFor(() => publishes(raw).length > before || publishes(raw).length === 10, 5000, 'the next messages')
      expect(publishes(raw).length - acked.size).toBeLessThanOrEqual(2)
    }
    expect(publishes(raw).map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  it('lets an mqtt.js client with Receive Maximum 2 receive 10 QoS 2 messages without a protocol error [MQTT-3.3.4-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5, properties: { receiveMaximum: 2 } })
    const errors: Error[] = []
    sub.on('error', (err) => errors.push(err))
    await sub.subscribeAsync('rm2/#', { qos: 2 })
    const got = collect(sub)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    // All at once, so that more than two are in flight to the subscriber.
    await Promise.all(Array.from({ length: 10 }, (_, i) => pub.publishAsync('rm2/t', String(i), { qos: 2 })))
    await waitFor(() => got.length >= 10 || errors.length > 0, 10_000, 'all messages')
    expect(errors).toEqual([])
    // Sorted: aedes does not keep the order of QoS 2 messages one publisher has in flight at once
    // (the order of what the broker received is covered above).
    expect(got.map((m) => m.payload).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  it('frees a slot on PUBCOMP, and on a PUBREC with a failure reason code [MQTT-3.3.4-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await openRaw(broker.tcpPort, { receiveMaximum: 1 })
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rq2/#', qos: 2 }] })
    await raw.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 3; i++) await pub.publishAsync('rq2/t', String(i), { qos: 2 })
    const first = await raw.next('publish')
    await sleep(200)
    expect(publishes(raw)).toHaveLength(1)
    // Refused: the QoS 2 flow ends here (MQTT 5 §4.3.3), and the slot is free.
    raw.send({ cmd: 'pubrec', messageId: first.messageId, reasonCode: 0x80 })
    await waitFor(() => publishes(raw).length === 2, 5000, 'the second message')
    const second = publishes(raw)[1]!
    raw.send({ cmd: 'pubrec', messageId: second.messageId })
    await raw.next('pubrel')
    await sleep(200)
    expect(publishes(raw)).toHaveLength(2) // PUBREC alone does not end the QoS 2 flow
    raw.send({ cmd: 'pubcomp', messageId: second.messageId })
    await waitFor(() => publishes(raw).length === 3, 5000, 'the third message')
    expect(publishes(raw).map((p) => p.payload.toString())).toEqual(['0', '1', '2'])
  })

  it('applies to the queue replayed when a persistent session resumes [MQTT-3.3.4-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const session = { clientId: 'rm-resume', clean: false }
    const first = await openRaw(broker.tcpPort, { sessionExpiryInterval: 3600 }, session)
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rq/#', qos: 1 }] })
    await first.next('suback')
    first.send({ cmd: 'disconnect' })
    await first.closed()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 8; i++) await pub.publishAsync('rq/t', String(i), { qos: 1 })

    const back = await openRaw(broker.tcpPort, { sessionExpiryInterval: 3600, receiveMaximum: 3 }, session)
    await waitFor(() => publishes(back).length >= 3, 5000, 'the first three messages')
    await sleep(300)
    expect(publishes(back)).toHaveLength(3)
    const acked = new Set<number>()
    const deadline = Date.now() + 10_000
    while (publishes(back).length < 8 && Date.now() < deadline) {
      const before = publishes(back).length
      ackAll(back, acked)
      await waitFor(() => publishes(back).length > before, 5000, 'the next messages')
      expect(publishes(back).length - acked.size).toBeLessThanOrEqual(3)
    }
    expect(publishes(back).map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7'])
  })

  it('counts a QoS 2 message left at PUBREL by the last connection when the session resumes [MQTT-3.3.4-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const session = { clientId: 'rm-pubrel', clean: false }
    const props = { sessionExpiryInterval: 3600, receiveMaximum: 1 }
    const first = await openRaw(broker.tcpPort, props, session)
    first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rp/#', qos: 2 }] })
    await first.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('rp/t', 'half', { qos: 2 })
    const half = await first.next('publish')
    first.send({ cmd: 'pubrec', messageId: half.messageId })
    await first.next('pubrel')
    first.end() // gone before PUBCOMP
    await sleep(200)
    await pub.publishAsync('rp/t', 'next', { qos: 2 })

    const back = await openRaw(broker.tcpPort, props, session)
    const pubrel = await back.next('pubrel')
    expect(pubrel.messageId).toBe(half.messageId)
    await sleep(300)
    expect(publishes(back)).toEqual([])
    back.send({ cmd: 'pubcomp', messageId: pubrel.messageId })
    expect((await back.next('publish')).payload.toString()).toBe('next')
  })
})

describe("the server's Receive Maximum", () => {
  it('is advertised in CONNACK [MQTT-3.2.2-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { receiveMaximum: 3 } })
    const raw = await openRaw(broker.tcpPort, {})
    const connack = await raw.next('connack')
    expect(connack.properties?.receiveMaximum).toBe(3)
  })

  it('disconnects a client with 4 QoS 2 messages in flight when the maximum is 3 with 0x93 [MQTT-3.3.4-7] [MQTT-3.3.4-8]', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { receiveMaximum: 3 } })
    const raw = await openRaw(broker.tcpPort, {})
    for (let id = 1; id <= 3; id++)
      raw.send({ cmd: 'publish', topic: 'q2/t', payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false })
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'pubrec').length === 3, 5000, 'three PUBRECs')
    // A retransmission of one in flight is not a new message.
    raw.send({ cmd: 'publish', topic: 'q2/t', payload: Buffer.from('1'), qos: 2, messageId: 1, retain: false, dup: true })
    // One released: room for one more.
    raw.send({ cmd: 'pubrel', messageId: 1 })
    await raw.next('pubcomp')
    raw.send({ cmd: 'publish', topic: 'q2/t', payload: Buffer.from('4'), qos: 2, messageId: 4, retain: false, dup: false })
    await waitFor(() => raw.packets.some((p) => p.cmd === 'pubrec' && p.messageId === 4), 5000, 'the fourth PUBREC')
    expect(raw.packets.some((p) => p.cmd === 'disconnect')).toBe(false)

    raw.send({ cmd: 'publish', topic: 'q2/t', payload: Buffer.from('5'), qos: 2, messageId: 5, retain: false, dup: false })
    const disconnect = await raw.next('disconnect')
    expect(disconnect.reasonCode).toBe(0x93)
    await raw.closed()
  })
})
