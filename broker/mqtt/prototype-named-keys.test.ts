/**
 * Names an MQTT client picks (username, client id, topic, Will topic, user property names) that name members of
 * Object.prototype are only names, through the real broker, its SQLite store across a restart, the Bus and the
 * client directory: each gets what any other name gets, nothing throws and nothing is polluted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { Harness, makeUser, nextMessage, StaticUsers } from './fixtures/harness.js'

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const

const h = new Harness()
afterEach(async () => {
  await h.cleanup()
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
})

/** Own keys only, in order: what a user property object holds, whatever its prototype. */
const own = (o: object | undefined) => (o ? Object.entries(o) : undefined)

describe('names an MQTT client picks, named like members of Object.prototype', () => {
  it('log in, publish with user properties, keep retained and a stored session across a restart, a Will, a disconnect by id', async () => {
    const dataDir = await h.tempDir()
    const all = ['plain', ...NAMES]
    const users = new StaticUsers(await Promise.all(all.map((n) => makeUser(n, `pw-${n}`, { publish: [n, `${n}/#`], subscribe: [n, `${n}/#`] }))))
    let broker = await h.broker({ dataDir, users })
    const outcome = async (name: string) => {
      const login = { protocolVersion: 5 as const, username: name, password: `pw-${name}` }
      const session = { ...login, clientId: name, clean: false, properties: { sessionExpiryInterval: 300 } }
      // A Will on a topic by that name, from a client whose id is that name.
      const watcher = await h.client(broker.tcpPort, { ...login, clientId: `watch-${name}` })
      // One filter per SUBSCRIBE: aedes' own de-duplication of the filters in one packet is a plain object.
      for (const filter of [name, `${name}/#`]) await watcher.subscribeAsync(filter, { qos: 1 })
      const onBus: Message[] = []
      const unsubscribe = await broker.bus.subscribe([name], (m) => onBus.push(m))
      const device = await h.client(broker.tcpPort, {
        ...session,
        will: { topic: `${name}/will`, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { userProperties: { [name]: 'w' } } },
      })
      await device.subscribeAsync(`${name}/#`, { qos: 1 })
      const got = nextMessage(watcher, name)
      await device.publishAsync(name, 'on', { qos: 1, retain: true, properties: { userProperties: { [name]: 'v', other: ['a', 'b'] } } })
      const received = await got
      const retained = await broker.bus.retained(name)
      // Disconnected by its id: the Will is published; a name with no client behind it is not found.
      const will = nextMessage(watcher, `${name}/will`)
      const disconnected = await broker.clients!.disconnect(name)
      const willPayload = await will.then((m) => [m.payload, own(m.packet.properties?.userProperties as object)])
      const absent = await broker.clients!.disconnect(`${name}/nobody`)
      // A message for the stored session while it is away, then a restart over the same SQLite store.
      await watcher.publishAsync(`${name}/queued`, 'later', { qos: 1, properties: { userProperties: { [name]: ['x', 'y'] } } })
      unsubscribe()
      await broker.close()
      broker = await h.broker({ dataDir, users })
      const back = h.unconnected(broker.tcpPort, session)
      const queued = nextMessage(back, `${name}/queued`)
      back.connect()
      const result = {
        userProperties: own(received.packet.properties?.userProperties as object),
        onBus: onBus.map((m) => [m.topic === name, m.retain, own(m.properties?.userProperties)]),
        retained: retained.map((m) => [m.topic === name, new TextDecoder().decode(m.payload), own(m.properties?.userProperties)]),
        disconnected,
        willPayload,
        absent,
        queued: await queued.then((m) => [m.payload, own(m.packet.properties?.userProperties as object)]),
        // The retained message as the restarted broker read it back from its store.
        retainedAfter: (await broker.bus.retained(name)).map((m) => own(m.properties?.userProperties)),
      }
      await back.endAsync()
      await watcher.endAsync().catch(() => undefined)
      return JSON.stringify(result).replaceAll(`"${name}"`, '"<name>"')
    }
    const expected = await outcome('plain')
    expect(JSON.parse(expected)).toEqual({
      userProperties: [
        ['<name>', 'v'],
        ['other', ['a', 'b']],
      ],
      onBus: [[true, false, expect.arrayContaining([['<name>', 'v']])]],
      retained: [[true, 'on', expect.arrayContaining([['<name>', 'v']])]],
      disconnected: true,
      willPayload: ['gone', [['<name>', 'w']]],
      absent: false,
      queued: ['later', [['<name>', ['x', 'y']]]],
      retainedAfter: [expect.arrayContaining([['<name>', 'v']])],
    })
    for (const name of NAMES) expect({ name, outcome: await outcome(name) }).toEqual({ name, outcome: expected })
  })

  it('a shared subscription group and filter by those names shares like any other', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const publisher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const outcome = async (name: string) => {
      const members = [await h.client(broker.tcpPort, { protocolVersion: 5 }), await h.client(broker.tcpPort, { protocolVersion: 5 })]
      const got: string[] = []
      for (const m of members) {
        m.on('message', (_topic, payload) => got.push(payload.toString()))
        await m.subscribeAsync(`$share/${name}/${name}`, { qos: 1 })
      }
      for (const n of [1, 2, 3, 4]) await publisher.publishAsync(name, String(n), { qos: 1 })
      while (got.length < 4) await new Promise((r) => setTimeout(r, 5))
      const done = await Promise.all(members.map((m) => m.unsubscribeAsync(`$share/${name}/${name}`)))
      for (const m of members) await m.endAsync()
      return { got: got.sort(), unsubscribed: done.map((d) => (d as { granted?: number[] } | undefined)?.granted) }
    }
    const expected = await outcome('plain')
    expect(expected.got).toEqual(['1', '2', '3', '4'])
    for (const name of NAMES) expect({ name, ...(await outcome(name)) }).toEqual({ name, ...expected })
  })
})
