import type { IClientOptions, MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, waitFor } from './fixtures/harness.js'
import { rawClient } from './fixtures/raw-client.js'
import type { MqttBroker } from './broker.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** A persistent session: 3.1.1 Clean Session 0, or MQTT 5 with a Session Expiry Interval. */
const away = (clientId: string, version: 4 | 5 = 4): IClientOptions =>
  version === 5
    ? { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 3600 } }
    : { protocolVersion: 4, clientId, clean: false }

/** Subscribes a persistent session to `q/#` at QoS 1 and leaves. */
async function leaveSession(broker: MqttBroker, clientId: string, version: 4 | 5 = 4): Promise<void> {
  const device = await h.client(broker.tcpPort, away(clientId, version))
  await device.subscribeAsync('q/#', { qos: 1 })
  await device.endAsync()
}

/**
 * Two round trips after the messages it acknowledged: aedes reads a client's next packets only once those of the
 * last read are handled, so by the second answer its PUBACKs have been handled (their queue entries deleted).
 */
async function acksHandled(client: MqttClient): Promise<void> {
  await client.unsubscribeAsync('nothing/1')
  await client.unsubscribeAsync('nothing/2')
}

/**
 * Comes back, takes the queued messages (acknowledging them) and leaves again. A message published once it has
 * `count` of them comes after anything else queued (a resumed session gets its queue before live messages), so the
 * answer ends with it: what came before it is the whole queue.
 */
async function takeQueued(broker: MqttBroker, clientId: string, count: number): Promise<string[]> {
  const back = h.unconnected(broker.tcpPort, away(clientId))
  const got = collect(back)
  back.connect()
  await waitFor(() => got.length >= count, 5000, `${count} queued messages`)
  const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
  await pub.publishAsync('q/t', 'mark', { qos: 1 })
  await waitFor(() => got.some((m) => m.payload === 'mark'), 5000, 'the mark')
  await acksHandled(back)
  await back.endAsync()
  await pub.endAsync()
  return got.map((m) => m.payload)
}

/** What was logged about `clientId`'s queue being full. */
const drops = (clientId: string) =>
  h.log.lines.filter((l) => l.msg?.startsWith('mqtt session queue full') && (l.obj as { clientId?: string }).clientId === clientId)

describe('a persistent session queue with a cap (mqtt.maxStoredPerSession, mqtt.maxStoredBytesPerSession)', () => {
  for (const version of [4, 5] as const) {
    it(`stores the first messages up to the cap in messages and drops the rest; the publisher and others see nothing (v${version})`, async () => {
      const broker = await h.broker({ storedQueue: { maxMessages: 5 } })
      await leaveSession(broker, `away-1-v${version}`, version)
      const other = await h.client(broker.tcpPort, { protocolVersion: 4, clean: true })
      await other.subscribeAsync('q/#', { qos: 1 })
      const seen = collect(other)
      const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
      for (let i = 0; i < 8; i++) {
        // Resolves on the PUBACK: every publish is accepted, the dropped ones too.
        const ack = await pub.publishAsync('q/t', `m${i}`, { qos: 1, properties: { userProperties: { n: String(i) } } })
        expect((ack as { reasonCode?: number } | undefined)?.reasonCode ?? 0).toBe(0)
      }
      await waitFor(() => seen.length === 8, 5000, 'the other subscriber')
      expect(seen.map((m) => m.payload)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])

      const back = h.unconnected(broker.tcpPort, away(`away-1-v${version}`, version))
      const got = collect(back)
      back.connect()
      await waitFor(() => got.length >= 5, 5000, 'the queued messages')
      await acksHandled(back)
      // Published now, it comes after whatever was queued: m5..m7 would be before it.
      await pub.publishAsync('q/t', 'later', { qos: 1 })
      await waitFor(() => got.length >= 6, 5000, 'the later message')
      expect(got.map((m) => m.payload)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'later'])
      // The stored ones kept their MQTT 5 properties.
      if (version === 5)
        expect(got.slice(0, 5).map((m) => m.packet.properties?.userProperties)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n: String(n) })))

      const warnings = drops(`away-1-v${version}`)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]!.obj).toMatchObject({ clientId: `away-1-v${version}`, storedMessages: 5, maxStoredPerSession: 5 })
      expect(broker.bus.status().detail).toMatchObject({ storedQueueDrops: 3 })
    })
  }

  it('drops a message that would take the queue past its bytes (payload and topic)', async () => {
    const broker = await h.broker({ storedQueue: { maxBytes: 100 } })
    await leaveSession(broker, 'away-2')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    // 'q/t' and 30 bytes: 33 each, three fit in 100.
    for (let i = 0; i < 5; i++) await pub.publishAsync('q/t', `${i}`.padEnd(30, '.'), { qos: 1 })
    // 4 more bytes would be 103.
    await pub.publishAsync('q/t', 'tiny', { qos: 1 })
    expect(await takeQueued(broker, 'away-2', 3)).toEqual([...['0', '1', '2'].map((p) => p.padEnd(30, '.')), 'mark'])
    // Taken and acknowledged: room for three again, in order.
    for (let i = 5; i < 9; i++) await pub.publishAsync('q/t', `${i}`.padEnd(30, '.'), { qos: 1 })
    expect(await takeQueued(broker, 'away-2', 3)).toEqual([...['5', '6', '7'].map((p) => p.padEnd(30, '.')), 'mark'])
    expect(drops('away-2')).toHaveLength(1)
    expect(drops('away-2')[0]!.obj).toMatchObject({ clientId: 'away-2', storedBytes: 99, maxStoredBytesPerSession: 100 })
  })

  it('keeps its count across a restart, and has room again once messages are delivered', async () => {
    const dataDir = await h.tempDir()
    const first = await h.broker({ dataDir, storedQueue: { maxMessages: 4 } })
    await leaveSession(first, 'away-3')
    const pub1 = await h.client(first.tcpPort, { protocolVersion: 4 })
    for (let i = 0; i < 4; i++) await pub1.publishAsync('q/t', `a${i}`, { qos: 1 })
    await pub1.endAsync()
    await first.close()

    const second = await h.broker({ dataDir, storedQueue: { maxMessages: 4 } })
    const pub2 = await h.client(second.tcpPort, { protocolVersion: 4 })
    for (let i = 0; i < 3; i++) await pub2.publishAsync('q/t', `b${i}`, { qos: 1 })
    // Still full after the restart: the b's were dropped.
    expect(await takeQueued(second, 'away-3', 4)).toEqual(['a0', 'a1', 'a2', 'a3', 'mark'])
    // Taken and acknowledged: room for four again.
    for (let i = 0; i < 6; i++) await pub2.publishAsync('q/t', `c${i}`, { qos: 1 })
    await pub2.endAsync()
    await second.close()

    const third = await h.broker({ dataDir, storedQueue: { maxMessages: 4 } })
    expect(await takeQueued(third, 'away-3', 4)).toEqual(['c0', 'c1', 'c2', 'c3', 'mark'])
  })

  it('still sends a connected client that does not acknowledge the messages dropped from its queue, live', async () => {
    const broker = await h.broker({ storedQueue: { maxMessages: 2 } })
    // A 3.1.1 persistent session that reads but never sends a PUBACK.
    const device = await rawClient(broker.tcpPort, { protocolVersion: 4, clientId: 'never-acks', clean: false })
    h.onCleanup(() => device.end())
    device.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] })
    await device.next('suback')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    for (let i = 0; i < 5; i++) await pub.publishAsync('q/t', `m${i}`, { qos: 1 })
    const payloads = () => device.packets.flatMap((p) => (p.cmd === 'publish' ? [String(p.payload)] : []))
    await waitFor(() => payloads().length >= 5, 5000, 'five messages')
    expect(payloads()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
    expect(device.socket.destroyed).toBe(false)
    // Only the first two were stored: they are what a new connection of the session gets again.
    device.end()
    expect(await takeQueued(broker, 'never-acks', 2)).toEqual(['m0', 'm1', 'mark'])
  })
})

describe('a persistent session queue with the default cap', () => {
  it('holds 1000 messages', async () => {
    const broker = await h.broker()
    await leaveSession(broker, 'away-4')
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    for (let i = 0; i < 1002; i++) await pub.publishAsync('q/t', `${i}`, { qos: 1 })
    const back = h.unconnected(broker.tcpPort, away('away-4'))
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length >= 1000, 10_000, 'the queued messages')
    await acksHandled(back)
    await pub.publishAsync('q/t', 'later', { qos: 1 })
    await waitFor(() => got.length >= 1001, 5000, 'the later message')
    expect(got.map((m) => m.payload)).toEqual([...Array.from({ length: 1000 }, (_, i) => `${i}`), 'later'])
  })
})
