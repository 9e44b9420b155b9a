import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, waitFor } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

function aliased(topic: string, topicAlias: number, payload: string) {
  return { cmd: 'publish' as const, topic, payload: Buffer.from(payload), qos: 0 as const, retain: false, dup: false, properties: { topicAlias } }
}

describe('topic aliases from clients', () => {
  it('advertises Topic Alias Maximum 10 in CONNACK by default, and the configured value [MQTT-3.2.2-17]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.topicAliasMaximum).toBe(10)
    const other = await h.broker({ allowAnonymous: true, mqtt5: { topicAliasMaximum: 3 } })
    const raw3 = await rawClient(other.tcpPort)
    h.onCleanup(() => raw3.end())
    expect((await raw3.next('connack')).properties?.topicAliasMaximum).toBe(3)
  })

  it('resolves an alias an mqtt.js client sets and then reuses with an empty topic [MQTT-3.3.2-12]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('alias/#')
    const got = collect(sub)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5, autoAssignTopicAlias: true })
    const errors: Error[] = []
    pub.on('error', (err) => errors.push(err))
    for (let i = 0; i < 3; i++) await pub.publishAsync('alias/long/topic/name', String(i))
    await waitFor(() => got.length >= 3 || errors.length > 0, 5000, 'three messages')
    expect(errors).toEqual([])
    expect(got.map((m) => [m.topic, m.payload])).toEqual([
      ['alias/long/topic/name', '0'],
      ['alias/long/topic/name', '1'],
      ['alias/long/topic/name', '2'],
    ])
    // The alias is the publisher's; subscribers get the topic name.
    expect(got.every((m) => m.packet.properties?.topicAlias === undefined)).toBe(true)
  })

  it('resolves aliases sent as raw packets, and re-maps an alias given a new topic [MQTT-3.3.2-7] [MQTT-3.3.2-10]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('ra/#')
    const got = collect(sub)
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    raw.send(aliased('ra/one', 10, 'a'))
    raw.send(aliased('', 10, 'b'))
    raw.send(aliased('ra/two', 10, 'c'))
    raw.send(aliased('', 10, 'd'))
    await waitFor(() => got.length >= 4, 5000, 'four messages')
    expect(got.map((m) => `${m.topic}=${m.payload}`)).toEqual(['ra/one=a', 'ra/one=b', 'ra/two=c', 'ra/two=d'])
  })

  for (const [alias, why] of [
    [11, 'above the maximum'],
    [0, 'zero'],
  ] as const) {
    it(`disconnects a client whose alias is ${why} with 0x94 [MQTT-3.3.2-8] [MQTT-3.3.2-9]`, async () => {
      const broker = await h.broker({ allowAnonymous: true })
      const raw = await rawClient(broker.tcpPort)
      h.onCleanup(() => raw.end())
      raw.send(aliased('ra/x', alias, 'x'))
      expect((await raw.next('disconnect')).reasonCode).toBe(0x94)
      await raw.closed()
    })
  }

  it('disconnects a client that uses an alias it never set (MQTT 5 §3.3.2.3.4)', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    raw.send(aliased('', 5, 'x'))
    const disconnect = await raw.next('disconnect')
    expect([0x82, 0x94]).toContain(disconnect.reasonCode)
    await raw.closed()
  })
})

describe('topic aliases to clients', () => {
  it('go to a client that accepts 2: the first two topics get one each, later topics go in full [MQTT-3.3.2-9] [MQTT-3.3.2-12]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort, { properties: { topicAliasMaximum: 2 } })
    h.onCleanup(() => raw.end())
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'out/#', qos: 0 }] })
    await raw.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (const topic of ['out/a', 'out/a', 'out/b', 'out/c', 'out/b', 'out/c']) await pub.publishAsync(topic, 'x')
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'publish').length >= 6, 5000, 'six messages')
    const seen = raw.packets.flatMap((p) => (p.cmd === 'publish' ? [[p.topic, p.properties?.topicAlias ?? null]] : []))
    expect(seen).toEqual([
      ['out/a', 1],
      ['', 1],
      ['out/b', 2],
      ['out/c', null],
      ['', 2],
      ['out/c', null],
    ])
  })

  it('reach an mqtt.js client that accepts them with the right topic names [MQTT-3.3.2-12]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5, properties: { topicAliasMaximum: 5 } })
    await sub.subscribeAsync('outjs/#', { qos: 1 })
    const got = collect(sub)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let qos = 0; qos < 3; qos++) await pub.publishAsync('outjs/t', String(qos), { qos: qos as 0 | 1 | 2 })
    await waitFor(() => got.length >= 3, 5000, 'three messages')
    expect(got.map((m) => [m.topic, m.payload])).toEqual([
      ['outjs/t', '0'],
      ['outjs/t', '1'],
      ['outjs/t', '2'],
    ])
    expect(got.map((m) => m.packet.properties?.topicAlias)).toEqual([1, 1, 1])
  })

  it('never go to a client that accepts none [MQTT-3.3.2-8]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'none/#', qos: 0 }] })
    await raw.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 2; i++) await pub.publishAsync('none/t', 'x')
    await waitFor(() => raw.packets.filter((p) => p.cmd === 'publish').length >= 2, 5000, 'two messages')
    expect(raw.packets.filter((p) => p.cmd === 'publish').map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ['none/t', undefined],
      ['none/t', undefined],
    ])
  })
})
