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
    expect(got.map((m) => [m.topic, m.payload])).toEqual([['alias/long/topic/name', '0'], ['alias/long/topic/name', '1'], ['alias/long/topic/name', '2']])
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

  for (const [alias, why] of [[11, 'above the maximum'], [0, 'zero']] as const) {
    it(`disconnects a client whose alias is ${why} with 0x94 [MQTT-3.3.2-8] [MQTT-3.3.2-9]`, async () => {
      const broker = await h.broker({ allowAnonymous: true })
      const raw = await rawClient(broker.tcpPort)
      h.onCleanup(() => raw.end())
      raw.send(aliased('ra/x', alias, 'x'))
      expect((await raw.next('disconnect')).reasonCode).toBe(0x94)
      await raw.closed()
    })
  }

  it('disconnects a client that reuses an alias it never set with 0x82 [MQTT-3.3.4-1]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    raw.send(aliased('', 5, 'x'))
    const disconnect = await raw.next('disconnect')
    expect([0x82, 0x94]).toContain(disconnect.reasonCode)
    await raw.closed()
  })
})
