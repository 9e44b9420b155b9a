import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, sleep, waitFor } from '../fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

describe("the client's Maximum Packet Size", () => {
  for (const qos of [0, 1, 2] as const) {
    it(`discards a QoS ${qos} PUBLISH larger than the client allowed, keeps the connection, and sends the next message [MQTT-3.1.2-24] [MQTT-3.1.2-25]`, async () => {
      const broker = await h.broker({ allowAnonymous: true })
      const sub = await h.client(broker.tcpPort, { protocolVersion: 5, properties: { maximumPacketSize: 1000 } })
      let closed = false
      sub.on('close', () => (closed = true))
      await sub.subscribeAsync('mps/#', { qos })
      const got = collect(sub)
      const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
      await pub.publishAsync('mps/big', 'x'.repeat(2000), { qos })
      await pub.publishAsync('mps/small', 'after', { qos })
      await waitFor(() => got.length > 0 || closed, 5000, 'the small message')
      await sleep(100)
      expect(closed).toBe(false)
      expect(got.map((m) => m.topic)).toEqual(['mps/small'])
    })
  }

  it('counts the properties in the size [MQTT-3.1.2-24]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5, properties: { maximumPacketSize: 1000 } })
    await sub.subscribeAsync('mpp/#', { qos: 1 })
    const got = collect(sub)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const payload = 'x'.repeat(900)
    // 900 bytes of payload fit; with 200 bytes of user properties the packet does not.
    await pub.publishAsync('mpp/a', payload, { qos: 1, properties: { userProperties: { note: 'y'.repeat(200) } } })
    await pub.publishAsync('mpp/b', payload, { qos: 1 })
    await waitFor(() => got.length > 0, 5000, 'the message that fits')
    await sleep(100)
    expect(got.map((m) => m.topic)).toEqual(['mpp/b'])
  })

  it('skips an oversized message queued for a persistent session when it resumes, and delivers the rest [MQTT-3.1.2-25]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const session = {
      protocolVersion: 5 as const,
      clientId: 'mps-resume',
      clean: false,
      properties: { sessionExpiryInterval: 3600, maximumPacketSize: 1000 },
    }
    const first = await h.client(broker.tcpPort, session)
    await first.subscribeAsync('mpq/#', { qos: 1 })
    await first.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('mpq/big', 'x'.repeat(2000), { qos: 1 })
    await pub.publishAsync('mpq/small', 'after', { qos: 1 })

    const back = h.unconnected(broker.tcpPort, session)
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length > 0, 5000, 'the queued small message')
    await sleep(200)
    expect(back.connected).toBe(true)
    expect(got.map((m) => m.topic)).toEqual(['mpq/small'])
  })

  it('spares mosquitto_sub -V mqttv5 with maximum-packet-size 1000 a queued 2,025-byte message and gives it the next one [MQTT-3.1.2-24]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const common = ['-V', 'mqttv5', '-h', '127.0.0.1', '-p', String(broker.tcpPort), '-i', 'mps-mosq', '-c', '-x', '3600', '-t', 'mpm/#', '-q', '1']
    // -E: subscribe, then exit; the session keeps the subscription.
    expect((await h.mosquitto('mosquitto_sub', [...common, '-E'])).code).toBe(0)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('mpm/big', 'x'.repeat(2000), { qos: 1 })
    await pub.publishAsync('mpm/small', 'after', { qos: 1 })
    const result = await h.mosquitto('mosquitto_sub', [...common, '-C', '1', '-v', '-D', 'connect', 'maximum-packet-size', '1000'])
    expect(result.stdout.trim()).toBe('mpm/small after')
  })
})
