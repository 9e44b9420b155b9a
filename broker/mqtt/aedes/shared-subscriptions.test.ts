import type { IClientOptions } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, StaticUsers, collect, makeUser, sleep, waitFor, type Received } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

const numbers = (count: number) => Array.from({ length: count }, (_, i) => String(i))

function payloads(received: Received[]): string[] {
  return received.map((m) => m.payload)
}

/** Every message reached exactly one member. */
function expectSpread(members: Received[][], count: number): void {
  const all = members.flatMap(payloads).sort((a, b) => Number(a) - Number(b))
  expect(all).toEqual(numbers(count))
  for (const got of members) expect(got.length).toBeGreaterThan(0)
}

/** A member with a persistent MQTT 5 session (an hour). */
function session(clientId: string): IClientOptions {
  return { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 3600 } }
}

/** A persistent member of `filter`'s group that subscribed and went away. */
async function offlineMember(port: number, clientId: string, filter: string): Promise<void> {
  const member = await h.client(port, session(clientId))
  await member.subscribeAsync(filter, { qos: 1 })
  await member.endAsync()
}

describe('shared subscriptions $share/{group}/{filter}', () => {
  it('are advertised as available in CONNACK (MQTT 5 §3.2.2.3.13)', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort)
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.sharedSubscriptionAvailable).not.toBe(false)
  })

  for (const protocolVersion of [5, 4] as const) {
    it(`spread a group's messages over its members, round robin, each message to one member (v${protocolVersion}) (MQTT 5 §4.8.2)`, async () => {
      const broker = await h.broker({ allowAnonymous: true })
      const a = await h.client(broker.tcpPort, { protocolVersion })
      const b = await h.client(broker.tcpPort, { protocolVersion })
      const other = await h.client(broker.tcpPort, { protocolVersion })
      const granted = await a.subscribeAsync('$share/g/sh/#', { qos: 1 })
      expect(granted[0]?.qos).toBe(1)
      await b.subscribeAsync('$share/g/sh/#', { qos: 1 })
      // Another group gets its own copy of each message.
      await other.subscribeAsync('$share/h/sh/#', { qos: 1 })
      const [gotA, gotB, gotOther] = [collect(a), collect(b), collect(other)]
      const pub = await h.client(broker.tcpPort, { protocolVersion })
      for (let i = 0; i < 10; i++) await pub.publishAsync('sh/t', String(i), { qos: 1 })
      await waitFor(() => gotA.length + gotB.length >= 10 && gotOther.length >= 10, 5000, 'all messages')
      await sleep(200)
      expectSpread([gotA, gotB], 10)
      expect(gotA).toHaveLength(5)
      expect(payloads(gotOther)).toEqual(numbers(10))
      // Each member gets its share in order [MQTT-4.6.0-6].
      expect(payloads(gotA)).toEqual([...payloads(gotA)].sort((x, y) => Number(x) - Number(y)))
      expect(gotA.every((m) => m.topic === 'sh/t')).toBe(true)
    })
  }

  it('send nothing more to a member that unsubscribed or disconnected (MQTT 5 §4.8.2)', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => h.client(broker.tcpPort, { protocolVersion: 5 })))
    for (const m of [a!, b!, c!]) await m.subscribeAsync('$share/g/lv/#', { qos: 1 })
    const [gotA, gotB, gotC] = [collect(a!), collect(b!), collect(c!)]
    await a!.unsubscribeAsync('$share/g/lv/#')
    await b!.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 6; i++) await pub.publishAsync('lv/t', String(i), { qos: 1 })
    await waitFor(() => gotC.length >= 6, 5000, 'all messages at the remaining member')
    expect(gotA).toEqual([])
    expect(gotB).toEqual([])
    expect(payloads(gotC)).toEqual(numbers(6))
  })

  it("respect each member's granted QoS [MQTT-4.8.2-3]", async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const a = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await a.subscribeAsync('$share/g/q0/#', { qos: 0 })
    const got = collect(a)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('q0/t', 'x', { qos: 1 })
    await waitFor(() => got.length >= 1, 5000, 'the message')
    expect(got[0]!.packet.qos).toBe(0)
  })

  it('queue the messages of a group whose members are all offline with persistent sessions, as a subscription would [MQTT-4.8.2-4]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    for (const id of ['off-a', 'off-b']) {
      await offlineMember(broker.tcpPort, id, '$share/g/off/#')
    }
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 6; i++) await pub.publishAsync('off/t', String(i), { qos: 1 })
    const backA = h.unconnected(broker.tcpPort, session('off-a'))
    const backB = h.unconnected(broker.tcpPort, session('off-b'))
    const [gotA, gotB] = [collect(backA), collect(backB)]
    backA.connect()
    backB.connect()
    await waitFor(() => gotA.length + gotB.length >= 6, 5000, 'all queued messages')
    await sleep(200)
    expectSpread([gotA, gotB], 6)
    // Back online, the subscription is the session's again: live messages keep coming.
    await pub.publishAsync('off/t', 'live', { qos: 1 })
    await waitFor(() => [...gotA, ...gotB].some((m) => m.payload === 'live'), 5000, 'a live message')
  })

  it("queue a group's messages only for members whose sessions remain, not one that ended with a Clean Start [MQTT-4.8.2-4]", async () => {
    const broker = await h.broker({ allowAnonymous: true })
    for (const id of ['ended-a', 'kept-b']) {
      await offlineMember(broker.tcpPort, id, '$share/g/ended/#')
    }
    // ended-a starts afresh: its session, and with it its membership, is gone; kept-b's stays.
    const fresh = await h.client(broker.tcpPort, { ...session('ended-a'), clean: true })
    await fresh.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    for (let i = 0; i < 4; i++) await pub.publishAsync('ended/t', String(i), { qos: 1 })
    const [backA, backB] = [h.unconnected(broker.tcpPort, session('ended-a')), h.unconnected(broker.tcpPort, session('kept-b'))]
    const [gotA, gotB] = [collect(backA), collect(backB)]
    backA.connect()
    backB.connect()
    await waitFor(() => gotB.length >= 4, 5000, "every message in kept-b's queue")
    await sleep(200)
    expect(payloads(gotB)).toEqual(numbers(4))
    expect(gotA).toEqual([])
  })

  it('still queue for offline members after the broker restarts [MQTT-4.8.2-4]', async () => {
    const dataDir = await h.tempDir()
    const session: IClientOptions = { protocolVersion: 5, clientId: 'restart-a', clean: false, properties: { sessionExpiryInterval: 3600 } }
    const before = await h.broker({ allowAnonymous: true, dataDir })
    const member = await h.client(before.tcpPort, session)
    await member.subscribeAsync('$share/g/rs/#', { qos: 1 })
    await member.endAsync()
    await before.close()
    const after = await h.broker({ allowAnonymous: true, dataDir })
    const pub = await h.client(after.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('rs/t', 'queued', { qos: 1 })
    const back = h.unconnected(after.tcpPort, session)
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length >= 1, 5000, 'the queued message')
    expect(payloads(got)).toEqual(['queued'])
  })

  for (const version of ['mqttv5', 'mqttv311']) {
    it(`queue for an offline mosquitto_sub -V ${version} member and deliver on its return [MQTT-4.8.2-4]`, async () => {
      const broker = await h.broker({ allowAnonymous: true })
      const args = ['-V', version, '-h', '127.0.0.1', '-p', String(broker.tcpPort), '-i', `mosq-${version}`, '-c', '-t', '$share/g/mq/#', '-q', '1']
      if (version === 'mqttv5') args.push('-x', '3600')
      expect((await h.mosquitto('mosquitto_sub', [...args, '-E'])).code).toBe(0)
      for (let i = 0; i < 3; i++) {
        expect(
          (
            await h.mosquitto('mosquitto_pub', [
              '-V',
              version,
              '-h',
              '127.0.0.1',
              '-p',
              String(broker.tcpPort),
              '-t',
              `mq/${i}`,
              '-m',
              String(i),
              '-q',
              '1',
            ])
          ).code,
        ).toBe(0)
      }
      const result = await h.mosquitto('mosquitto_sub', [...args, '-C', '3', '-v'])
      expect(result.stdout.trim().split('\n')).toEqual(['mq/0 0', 'mq/1 1', 'mq/2 2'])
    })
  }

  it('check the ACL on the filter inside the share (MQTT 5 §4.8.2)', async () => {
    const user = await makeUser('sharer', 'pw', { subscribe: ['a/#'], publish: ['a/#', 'b/#'] })
    const broker = await h.broker({ users: new StaticUsers([user]) })
    const client = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'sharer', password: 'pw' })
    expect((await client.subscribeAsync('$share/g/a/#', { qos: 1 }))[0]?.qos).toBe(1)
    await expect(client.subscribeAsync('$share/g/b/#', { qos: 1 })).rejects.toThrow(/Not authorized/)
    const got = collect(client)
    await client.publishAsync('b/x', 'no', { qos: 1 })
    await client.publishAsync('a/x', 'yes', { qos: 1 })
    await waitFor(() => got.length >= 1, 5000, 'the allowed message')
    await sleep(100)
    expect(payloads(got)).toEqual(['yes'])
  })

  it('send no retained message when a member subscribes (MQTT 5 §4.8.2)', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('rt/t', 'kept', { qos: 1, retain: true })
    const member = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const got = collect(member)
    await member.subscribeAsync('$share/g/rt/#', { qos: 1 })
    await pub.publishAsync('rt/t', 'live', { qos: 1 })
    await waitFor(() => got.length >= 1, 5000, 'the live message')
    await sleep(100)
    expect(payloads(got)).toEqual(['live'])
  })
})
