import type { IClientOptions } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, sleep, waitFor } from '../fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** '0', '1', ... up to `count - 1`. */
const payloads = (count: number) => Array.from({ length: count }, (_, i) => String(i))

function persistentSession(version: 4 | 5, clientId: string): IClientOptions {
  return version === 5
    ? { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 3600 } }
    : { protocolVersion: 4, clientId, clean: false }
}

describe('a resumed persistent session', () => {
  for (const version of [4, 5] as const) {
    it(`gets its queued QoS 1 messages before those published after CONNACK (v${version}) [MQTT-4.6.0-6]`, async () => {
      const broker = await h.broker()
      const session = persistentSession(version, `resume-${version}`)
      const device = await h.client(broker.tcpPort, session)
      await device.subscribeAsync('o/#', { qos: 1 })
      await device.endAsync()
      const pub = await h.client(broker.tcpPort, { protocolVersion: version })
      const queued = 50
      for (let i = 0; i < queued; i++) await pub.publishAsync('o/t', String(i), { qos: 1 })

      const back = h.unconnected(broker.tcpPort, session)
      const got = collect(back)
      // Back to back, without waiting for PUBACKs, as soon as the CONNACK is in.
      back.once('connect', () => {
        for (let i = queued; i < 2 * queued; i++) void pub.publishAsync('o/t', String(i), { qos: 1 })
      })
      back.connect()
      await waitFor(() => got.length >= 2 * queued, 10_000, 'all messages')
      await sleep(200) // nothing more (no duplicates)
      expect(got.map((m) => m.payload)).toEqual(payloads(2 * queued))
    })
  }

  it('gets a tight loop of QoS 1 messages in order while it reconnects [MQTT-4.6.0-5]', async () => {
    const broker = await h.broker()
    const session = persistentSession(4, 'resume-loop')
    const device = await h.client(broker.tcpPort, session)
    await device.subscribeAsync('o/#', { qos: 1 })
    await device.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    let published = 0
    let stop = false
    const loop = (async () => {
      while (!stop) await pub.publishAsync('o/t', String(published++), { qos: 1 })
    })()
    await sleep(100)

    const back = h.unconnected(broker.tcpPort, session)
    const got = collect(back)
    back.connect()
    await sleep(300)
    stop = true
    await loop
    await waitFor(() => got.length >= published, 10_000, 'all messages')
    await sleep(200)
    expect(got.map((m) => m.payload)).toEqual(payloads(published))
  })
})
