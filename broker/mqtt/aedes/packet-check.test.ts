import { afterEach, describe, expect, it } from 'vitest'
import { Harness, sleep } from '../fixtures/harness.js'
import { RawMqtt } from '../fixtures/raw-mqtt.js'
import { stockAedes } from '../fixtures/stock-aedes.js'

const h = new Harness()
afterEach(() => h.cleanup())

async function raw(version: 4 | 5): Promise<RawMqtt> {
  const broker = await h.broker()
  const conn = await RawMqtt.open(broker.tcpPort, version)
  h.onCleanup(() => conn.destroy())
  return conn
}

describe('MQTT 5 protocol violations get the DISCONNECT reason code the spec names', () => {
  it('reproduces the defect on stock aedes: an invalid filter, a wildcard topic name and a bad DISCONNECT get no DISCONNECT', async () => {
    const { port } = await stockAedes(h)
    const packets = [
      { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#/b', qos: 1 }] },
      { cmd: 'publish', topic: 'a/+/b', qos: 1, messageId: 2, retain: false, dup: false, payload: Buffer.from('x') },
      { cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 100 } },
    ]
    for (const packet of packets) {
      const conn = await RawMqtt.open(port, 5)
      h.onCleanup(() => conn.destroy())
      conn.send(packet as never)
      await conn.untilClosed()
      expect(conn.received.map((p) => p.cmd)).toEqual(['connack'])
    }
  })

  for (const topic of ['a/#/b', 'a/b#', 'a/b+', '']) {
    it(`answers a SUBSCRIBE to the invalid filter "${topic}" with DISCONNECT 0x81 Malformed Packet [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1]`, async () => {
      const conn = await raw(5)
      conn.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] })
      const disconnect = await conn.next('disconnect')
      expect(disconnect.reasonCode).toBe(0x81)
      expect(disconnect.properties?.reasonString).toBeTruthy()
      await conn.untilClosed()
      expect(conn.received.some((p) => p.cmd === 'suback')).toBe(false)
    })
  }

  for (const [topic, qos] of [
    ['a/+/b', 1],
    ['a/#', 0],
    ['+', 2],
  ] as const) {
    it(`answers a QoS ${qos} PUBLISH to "${topic}" with DISCONNECT 0x82 Protocol Error [MQTT-3.3.2-2]`, async () => {
      const conn = await raw(5)
      conn.send({ cmd: 'publish', topic, qos, messageId: qos > 0 ? 7 : undefined, retain: false, dup: false, payload: Buffer.from('x') } as never)
      const disconnect = await conn.next('disconnect')
      expect(disconnect.reasonCode).toBe(0x82)
      await conn.untilClosed()
      expect(conn.received.some((p) => p.cmd === 'puback' || p.cmd === 'pubrec')).toBe(false)
    })
  }

  it('closes an MQTT 3.1.1 connection on the same packets, with no DISCONNECT (3.1.1 has none) [MQTT-4.8.0-1]', async () => {
    const conn = await raw(4)
    conn.send({ cmd: 'publish', topic: 'a/+', qos: 1, messageId: 3, retain: false, dup: false, payload: Buffer.from('x') })
    await conn.untilClosed()
    await sleep(50)
    expect(conn.received.map((p) => p.cmd)).toEqual(['connack'])
  })

  it('still serves valid packets after the check', async () => {
    const conn = await raw(5)
    conn.send({
      cmd: 'subscribe',
      messageId: 2,
      subscriptions: [
        { topic: 'ok/+/x', qos: 1 },
        { topic: 'ok/#', qos: 0 },
      ],
    })
    const suback = await conn.next('suback')
    expect(suback.granted).toEqual([1, 0])
    expect(conn.closed).toBe(false)
  })
})
