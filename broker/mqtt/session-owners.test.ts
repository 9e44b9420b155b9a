import type { IClientOptions } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, StaticUsers, collect, makeUser, nextMessage, sleep } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

async function twoUsers() {
  return new StaticUsers([
    await makeUser('ua', 'pa', { publish: ['a/#'], subscribe: ['a/#'] }),
    await makeUser('ub', 'pb', { publish: ['b/#'], subscribe: ['b/#'] }),
  ])
}

function persistent(version: 4 | 5, username: string, password: string, clientId = 'shared'): IClientOptions {
  return version === 5
    ? { protocolVersion: 5, clientId, clean: false, username, password, properties: { sessionExpiryInterval: 3600 } }
    : { protocolVersion: 4, clientId, clean: false, username, password }
}

/** 3.1.1 CONNACK return code 0x02 identifier rejected; MQTT 5 reason code 0x85 Client Identifier not valid. */
const REJECTED = { 4: 0x02, 5: 0x85 } as const

describe('a session belongs to the user who created it', () => {
  for (const version of [4, 5] as const) {
    it(`refuses another user's CONNECT with the owner's client id and leaves the stored session and its queue alone (v${version}) [MQTT-3.1.3-2] [MQTT-3.2.2-5]`, async () => {
      const broker = await h.broker({ users: await twoUsers() })
      const owner = await h.client(broker.tcpPort, persistent(version, 'ub', 'pb'))
      await owner.subscribeAsync('b/#', { qos: 1 })
      await owner.endAsync()
      // Anonymous from loopback publishes the message queued for ub's session.
      const pub = await h.client(broker.tcpPort, { protocolVersion: version })
      await pub.publishAsync('b/secret', 'for ub only', { qos: 1 })

      const intruder = await h.refusedConnect(broker.tcpPort, persistent(version, 'ua', 'pa'))
      expect(intruder.code).toBe(REJECTED[version])
      const cleanIntruder = await h.refusedConnect(broker.tcpPort, { ...persistent(version, 'ua', 'pa'), clean: true })
      expect(cleanIntruder.code).toBe(REJECTED[version])

      const back = h.unconnected(broker.tcpPort, persistent(version, 'ub', 'pb'))
      const got = nextMessage(back, 'b/secret')
      back.connect()
      expect((await got).payload).toBe('for ub only')
    })
  }

  it("refuses mosquitto_sub (3.1.1 and 5) logged in as another user with the owner's client id [MQTT-3.2.2-5]", async () => {
    const broker = await h.broker({ users: await twoUsers() })
    const owner = await h.client(broker.tcpPort, persistent(4, 'ub', 'pb'))
    await owner.subscribeAsync('b/#', { qos: 1 })
    for (const version of ['mqttv311', 'mqttv5']) {
      const sub = await h.mosquitto('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.tcpPort),
        '-V',
        version,
        '-i',
        'shared',
        '-c',
        '-x',
        '3600',
        '-u',
        'ua',
        '-P',
        'pa',
        '-t',
        'a/#',
        '-C',
        '1',
        '-W',
        '3',
      ])
      expect(sub.code).not.toBe(0)
      expect(sub.stderr).toMatch(/identifier/i)
    }
    expect(owner.connected).toBe(true)
  })

  it('does not let another user take over a live connection with the same client id [MQTT-3.1.4-2]', async () => {
    const broker = await h.broker({ users: await twoUsers() })
    const owner = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'shared', username: 'ub', password: 'pb' })
    await owner.subscribeAsync('b/#', { qos: 1 })
    let kicked = false
    owner.on('disconnect', () => (kicked = true))
    owner.on('close', () => (kicked = true))

    const intruder = await h.refusedConnect(broker.tcpPort, { protocolVersion: 5, clientId: 'shared', username: 'ua', password: 'pa' })
    expect(intruder.code).toBe(0x85)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const got = nextMessage(owner, 'b/live')
    await pub.publishAsync('b/live', 'still mine', { qos: 1 })
    expect((await got).payload).toBe('still mine')
    expect(kicked).toBe(false)
  })

  it('lets the owner take its own session over, and another user in once the session has ended [MQTT-3.1.2-4]', async () => {
    const broker = await h.broker({ users: await twoUsers() })
    const first = await h.client(broker.tcpPort, persistent(5, 'ub', 'pb'))
    const second = await h.client(broker.tcpPort, persistent(5, 'ub', 'pb'))
    expect(second.connected).toBe(true)
    // Session Expiry Interval 0 on DISCONNECT ends the session with the connection [MQTT-3.14.2-2].
    await second.endAsync(false, { properties: { sessionExpiryInterval: 0 } })
    void first
    await sleep(100)
    const other = await h.client(broker.tcpPort, persistent(5, 'ua', 'pa'))
    expect(other.connected).toBe(true)
  })

  it('keeps the owner of a stored session across a restart', async () => {
    const dataDir = await h.tempDir()
    const users = await twoUsers()
    const broker = await h.broker({ dataDir, users })
    const owner = await h.client(broker.tcpPort, persistent(4, 'ub', 'pb'))
    await owner.subscribeAsync('b/#', { qos: 1 })
    await owner.endAsync()
    await broker.close()

    const again = await h.broker({ dataDir, users })
    const intruder = await h.refusedConnect(again.tcpPort, persistent(4, 'ua', 'pa'))
    expect(intruder.code).toBe(0x02)
  })

  it("frees the client id of a removed user's stored session, and gives the next user none of its messages [MQTT-3.2.2-2]", async () => {
    const users = await twoUsers()
    const broker = await h.broker({ users })
    const owner = await h.client(broker.tcpPort, persistent(4, 'ub', 'pb'))
    await owner.subscribeAsync('b/#', { qos: 1 })
    await owner.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await pub.publishAsync('b/secret', 'for ub only', { qos: 1 })
    users.users.splice(
      users.users.findIndex((u) => u.username === 'ub'),
      1,
    )

    const next = h.unconnected(broker.tcpPort, persistent(4, 'ua', 'pa'))
    const seen = collect(next)
    let sessionPresent: boolean | undefined
    next.once('connect', (connack) => (sessionPresent = connack.sessionPresent))
    next.connect()
    await sleep(300)
    expect(sessionPresent).toBe(false)
    expect(seen).toEqual([])
  })

  it('refuses an anonymous client the client id of a user, and a user that of an anonymous session', async () => {
    const broker = await h.broker({ users: await twoUsers() })
    const owner = await h.client(broker.tcpPort, persistent(4, 'ub', 'pb', 'dev-1'))
    await owner.endAsync()
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 4, clientId: 'dev-1', clean: false })).code).toBe(0x02)

    const anon = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'dev-2', clean: false })
    await anon.endAsync()
    expect((await h.refusedConnect(broker.tcpPort, persistent(4, 'ua', 'pa', 'dev-2'))).code).toBe(0x02)
  })
})
