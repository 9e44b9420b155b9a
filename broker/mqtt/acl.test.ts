import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { ANONYMOUS, mayPublish, maySubscribe, principalForUser } from './acl.js'
import { Harness, StaticUsers, collect, makeUser, sleep } from './fixtures/harness.js'
import { createStaticUserDirectory } from './users.js'

const h = new Harness()

/** The SUBACK codes, including failures (subscribeAsync rejects on any failure code). */
function grantedCodes(client: MqttClient, subscriptions: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  return new Promise((resolve) => {
    client.subscribe(subscriptions, (_err, _granted, packet) => resolve((packet as unknown as { granted: number[] }).granted))
  })
}
afterEach(() => h.cleanup())

const acl = { publish: ['devices/%u/#', 'clients/%c/out'], subscribe: ['devices/%u/#', 'house/+/state'] }

describe('ACL rules', () => {
  const user = { username: 'alice', passwordHash: 'x', ...acl }

  it('expands %u and %c per connection', () => {
    const p = principalForUser(user, 'esp-1')
    expect(mayPublish(p, 'devices/alice/temp')).toBe(true)
    expect(mayPublish(p, 'clients/esp-1/out')).toBe(true)
    expect(mayPublish(p, 'devices/bob/temp')).toBe(false)
    expect(mayPublish(p, 'clients/esp-2/out')).toBe(false)
  })

  it('does not expand a client id holding a wildcard or a slash', () => {
    expect(mayPublish(principalForUser(user, 'x/y'), 'clients/x/y/out')).toBe(false)
    expect(mayPublish(principalForUser(user, '#'), 'clients/#/out')).toBe(false)
  })

  it('lets a subscription through only when an ACL filter covers it', () => {
    const p = principalForUser(user, 'esp-1')
    expect(maySubscribe(p, 'devices/alice/#')).toBe(true)
    expect(maySubscribe(p, 'devices/alice/+/x')).toBe(true)
    expect(maySubscribe(p, 'house/kitchen/state')).toBe(true)
    expect(maySubscribe(p, 'house/#')).toBe(false)
    expect(maySubscribe(p, '#')).toBe(false)
    expect(maySubscribe(p, 'devices/+/#')).toBe(false)
  })

  it('lets anonymous clients do anything except publish to $ topics [MQTT-4.7.2-1]', () => {
    expect(mayPublish(ANONYMOUS, 'anything/at/all')).toBe(true)
    expect(maySubscribe(ANONYMOUS, '#')).toBe(true)
    expect(mayPublish(ANONYMOUS, '$SYS/broker/x')).toBe(false)
    expect(mayPublish(ANONYMOUS, '$custom')).toBe(false)
  })
})

describe('ACL on the wire', () => {
  async function setup() {
    const broker = await h.broker({ users: new StaticUsers([await makeUser('alice', 'pw', acl)]) })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('#', { qos: 2 })
    return { broker, seen: collect(watcher) }
  }

  it('acknowledges and drops a denied QoS 1 and QoS 2 publish from an MQTT 3.1.1 client, keeping it connected [MQTT-3.3.5-2]', async () => {
    const { broker, seen } = await setup()
    const alice = await h.client(broker.tcpPort, { protocolVersion: 4, username: 'alice', password: 'pw', clientId: 'esp-1' })
    await alice.publishAsync('devices/bob/set', 'q1', { qos: 1 })
    await alice.publishAsync('devices/bob/set', 'q2', { qos: 2 })
    await alice.publishAsync('devices/bob/set', 'q0', { qos: 0 })
    await alice.publishAsync('devices/alice/ok', 'allowed', { qos: 1 })
    await sleep(100)
    expect(alice.connected).toBe(true)
    expect(seen.map((m) => m.topic)).toEqual(['devices/alice/ok'])
  })

  it('answers a denied MQTT 5 publish with PUBACK 0x87 and drops it', async () => {
    const { broker, seen } = await setup()
    const alice = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'alice', password: 'pw', clientId: 'esp-1' })
    const denied = await alice.publishAsync('devices/bob/set', 'x', { qos: 1 }).then(
      () => undefined,
      (err: Error & { code?: number }) => err.code,
    )
    expect(denied).toBe(0x87)
    await alice.publishAsync('clients/esp-1/out', 'allowed', { qos: 1 })
    await sleep(100)
    expect(alice.connected).toBe(true)
    expect(seen.map((m) => m.topic)).toEqual(['clients/esp-1/out'])
  })

  it('refuses a subscription outside the ACL with SUBACK 0x80 (3.1.1) and 0x87 (5), granting the rest', async () => {
    const { broker } = await setup()
    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4, username: 'alice', password: 'pw' })
    expect(await grantedCodes(v4, { 'devices/alice/#': { qos: 1 }, 'devices/bob/#': { qos: 1 }, '#': { qos: 0 } })).toEqual([1, 0x80, 0x80])
    const v5 = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'alice', password: 'pw' })
    expect(await grantedCodes(v5, { 'house/+/state': { qos: 1 }, 'house/#': { qos: 1 } })).toEqual([1, 0x87])

    // And nothing from the refused filter arrives.
    const got = collect(v4)
    const bus = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await bus.publishAsync('devices/bob/x', 'secret', { qos: 1 })
    await bus.publishAsync('devices/alice/x', 'mine', { qos: 1 })
    await sleep(100)
    expect(got.map((m) => m.payload)).toEqual(['mine'])
  })

  it('refuses a denied subscription from mosquitto_sub (3.1.1 and 5)', async () => {
    const { broker } = await setup()
    for (const version of ['mqttv311', 'mqttv5']) {
      const r = await h.mosquitto('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.tcpPort),
        '-V',
        version,
        '-u',
        'alice',
        '-P',
        'pw',
        '-t',
        'devices/bob/#',
        '-C',
        '1',
        '-W',
        '3',
      ])
      expect(r.stderr).toContain('All subscription requests were denied')
    }
  })

  it('drops publishes to $ topics, even from anonymous loopback clients', async () => {
    // $SYS is readable only through an ACL that names it.
    const broker = await h.broker({ users: new StaticUsers([await makeUser('watch', 'w', { subscribe: ['$custom/#', '$SYS/fake/#'] })]) })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'watch', password: 'w' })
    await watcher.subscribeAsync(['$custom/#', '$SYS/fake/#'], { qos: 1 })
    const seen = collect(watcher)
    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await v4.publishAsync('$custom/x', 'nope', { qos: 1 })
    await v4.publishAsync('$SYS/fake/x', 'nope', { qos: 0 })
    const v5 = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await v5.publishAsync('$custom/y', 'nope', { qos: 1 }).catch(() => undefined)
    await sleep(300)
    expect(seen).toEqual([])
    expect(v4.connected && v5.connected).toBe(true)
  })
})

describe('static user directory', () => {
  it('finds users from the config list by name', async () => {
    const users = createStaticUserDirectory([{ username: 'alice', passwordHash: 'h', publish: [], subscribe: [] }])
    expect((await users.find('alice'))?.passwordHash).toBe('h')
    expect(await users.find('bob')).toBeUndefined()
  })
})
