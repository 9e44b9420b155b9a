import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, sleep, waitFor } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

function ids(properties: { subscriptionIdentifier?: number | number[] } | undefined): number[] {
  const si = properties?.subscriptionIdentifier
  return si === undefined ? [] : [si].flat().sort((a, b) => a - b)
}

describe('Subscription Identifiers', () => {
  it('are advertised as available in CONNACK (MQTT 5 §3.2.2.3.12)', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.subscriptionIdentifiersAvailable).toBe(true)
  })

  it('go out with a matching message [MQTT-3.3.4-3]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('si1/+', { qos: 1, properties: { subscriptionIdentifier: 42 } })
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const message = nextMessage(sub, 'si1/a')
    await pub.publishAsync('si1/a', 'x', { qos: 1 })
    expect(ids((await message).packet.properties)).toEqual([42])
  })

  it('of every matching subscription go out on the one copy sent [MQTT-3.3.4-4]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('si2/+', { qos: 1, properties: { subscriptionIdentifier: 7 } })
    await sub.subscribeAsync('si2/#', { qos: 0, properties: { subscriptionIdentifier: 9 } })
    await sub.subscribeAsync('si2/a', { qos: 1 }) // matches, has none
    const got = collect(sub)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('si2/a', 'x', { qos: 1 })
    await pub.publishAsync('si2/b/c', 'y', { qos: 1 })
    await waitFor(() => got.length >= 2, 5000, 'two messages')
    await sleep(100)
    expect(got.map((m) => [m.topic, ids(m.packet.properties)])).toEqual([
      ['si2/a', [7, 9]],
      ['si2/b/c', [9]],
    ])
  })

  it('go out on messages queued while the session was offline [MQTT-3.3.4-3]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const session = { protocolVersion: 5 as const, clientId: 'si-queued', clean: false, properties: { sessionExpiryInterval: 3600 } }
    const first = await h.client(broker.tcpPort, session)
    await first.subscribeAsync('si3/#', { qos: 1, properties: { subscriptionIdentifier: 5 } })
    await first.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('si3/t', 'queued', { qos: 1 })
    const back = h.unconnected(broker.tcpPort, session)
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length >= 1, 5000, 'the queued message')
    await pub.publishAsync('si3/t', 'live', { qos: 1 })
    await waitFor(() => got.length >= 2, 5000, 'the live message')
    expect(got.map((m) => [m.payload, ids(m.packet.properties)])).toEqual([
      ['queued', [5]],
      ['live', [5]],
    ])
  })

  it("are not taken from a client's own PUBLISH [MQTT-3.3.4-6]", async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('si4/#', { qos: 0 })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    const message = nextMessage(sub, 'si4/t')
    raw.send({
      cmd: 'publish',
      topic: 'si4/t',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
      properties: { subscriptionIdentifier: 99 },
    })
    expect(ids((await message).packet.properties)).toEqual([])
  })
})
