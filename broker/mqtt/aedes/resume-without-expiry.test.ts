import type { IClientOptions } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, sleep } from '../fixtures/harness.js'
import { RawMqtt } from '../fixtures/raw-mqtt.js'
import { stockAedes } from '../fixtures/stock-aedes.js'

const h = new Harness()
afterEach(() => h.cleanup())

const withExpiry = (clientId: string): IClientOptions => ({ protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 3600 } })

/** Connects `clientId` again (with a long expiry): whether its session was there, and what it was sent within 300 ms. */
async function reconnect(port: number, clientId: string) {
  const again = h.unconnected(port, withExpiry(clientId))
  const seen = collect(again)
  let sessionPresent: boolean | undefined
  again.once('connect', (connack) => (sessionPresent = connack.sessionPresent))
  again.connect()
  await sleep(300)
  return { sessionPresent, seen }
}

describe('MQTT 5 session resumption', () => {
  it('reproduces the defect on stock aedes: Clean Start 0 without a Session Expiry Interval resumes the subscriptions but drops the queue', async () => {
    const { port } = await stockAedes(h)
    const device = await h.client(port, withExpiry('stock-no-sei'))
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync()
    const pub = await h.client(port, { protocolVersion: 5 })
    await pub.publishAsync('q/1', 'queued', { qos: 1 })
    const back = h.unconnected(port, { protocolVersion: 5, clientId: 'stock-no-sei', clean: false })
    const seen = collect(back)
    let sessionPresent: boolean | undefined
    back.once('connect', (connack) => (sessionPresent = connack.sessionPresent))
    back.connect()
    await sleep(300)
    expect(sessionPresent).toBe(true)
    expect(seen).toEqual([])
  })

  it('gives a client that resumes with Clean Start 0 and no Session Expiry Interval the messages queued for it [MQTT-3.1.2-5]', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, withExpiry('resume-no-sei'))
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('q/1', 'queued', { qos: 1 })

    const back = h.unconnected(broker.tcpPort, { protocolVersion: 5, clientId: 'resume-no-sei', clean: false })
    const got = nextMessage(back, 'q/1')
    let sessionPresent: boolean | undefined
    back.once('connect', (connack) => (sessionPresent = connack.sessionPresent))
    back.connect()
    expect((await got).payload).toBe('queued')
    expect(sessionPresent).toBe(true)
  })

  it('still ends that session with the connection, as its Session Expiry Interval of 0 asks [MQTT-3.1.2-23]', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, withExpiry('resume-then-end'))
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync()
    const resumed = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'resume-then-end', clean: false })
    await resumed.endAsync()
    await sleep(100)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('q/2', 'after the end', { qos: 1 })

    const again = await reconnect(broker.tcpPort, 'resume-then-end')
    expect(again.sessionPresent).toBe(false)
    expect(again.seen).toEqual([])
  })

  it('ends a session when DISCONNECT sets its Session Expiry Interval to 0 (§3.14.2.2.2)', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, withExpiry('end-on-disconnect'))
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync(false, { properties: { sessionExpiryInterval: 0 } })
    await sleep(100)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('q/3', 'nobody', { qos: 1 })

    const again = await reconnect(broker.tcpPort, 'end-on-disconnect')
    expect(again.sessionPresent).toBe(false)
    expect(again.seen).toEqual([])
  })

  it('keeps a session when DISCONNECT lengthens its Session Expiry Interval (§3.14.2.2.2)', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'lengthen', clean: true, properties: { sessionExpiryInterval: 1 } })
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync(false, { properties: { sessionExpiryInterval: 3600 } })
    await sleep(1500) // past the interval given at CONNECT
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('q/4', 'kept', { qos: 1 })
    const back = h.unconnected(broker.tcpPort, withExpiry('lengthen'))
    const got = nextMessage(back, 'q/4')
    back.connect()
    expect((await got).payload).toBe('kept')
  })

  it('answers a non-zero Session Expiry Interval on DISCONNECT after CONNECT set 0 with DISCONNECT 0x82, and publishes the will (§3.14.2.2.2)', async () => {
    const broker = await h.broker()
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const will = nextMessage(watcher, 'will/raw')
    const raw = await RawMqtt.open(broker.tcpPort, 5, { will: { topic: 'will/raw', payload: Buffer.from('gone'), qos: 1, retain: false } })
    raw.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 100 } })
    const disconnect = await raw.next('disconnect')
    expect(disconnect.reasonCode).toBe(0x82)
    await raw.untilClosed()
    expect((await will).payload).toBe('gone')
  })
})
