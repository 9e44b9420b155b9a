/** A property repeated where MQTT 5 allows one is a Protocol Error, never a crash (issue 8). */
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, waitFor } from '../fixtures/harness.js'
import { stockAedesProcess } from '../fixtures/stock-aedes.js'
import { connect5, packet, props, rawClient, str, u16, u32, varInt } from '../fixtures/raw.js'
import { findRepeatedProperty } from './repeated-properties.js'

const h = new Harness()
afterEach(() => h.cleanup())

const SESSION_EXPIRY = (s: number) => [0x11, ...u32(s)]
const REASON_STRING = (s: string) => [0x1f, ...str(s)]
const USER_PROPERTY = (k: string, v: string) => [0x26, ...str(k), ...str(v)]

/** CONNACK 0x82 Protocol Error, and DISCONNECT 0x82 with no properties. */
const CONNACK_PROTOCOL_ERROR = [0x20, 0x03, 0x00, 0x82, 0x00]
const DISCONNECT_PROTOCOL_ERROR = [0xe0, 0x02, 0x82, 0x00]

describe('findRepeatedProperty', () => {
  it('names a repeated property, including one whose first value is falsy', () => {
    expect(findRepeatedProperty(Buffer.from(props(SESSION_EXPIRY(10), SESSION_EXPIRY(20))))).toBe('sessionExpiryInterval')
    // mqtt-packet keeps only the second of these: its first value (0) is falsy.
    expect(findRepeatedProperty(Buffer.from(props([0x01, 0], [0x01, 1])))).toBe('payloadFormatIndicator')
    expect(findRepeatedProperty(Buffer.from(props([0x0b, ...varInt(1)], [0x0b, ...varInt(300)])))).toBe('subscriptionIdentifier')
  })
  it('lets User Property repeat, and leaves malformed sections to the parser', () => {
    expect(findRepeatedProperty(Buffer.from(props(USER_PROPERTY('a', '1'), USER_PROPERTY('a', '2'), SESSION_EXPIRY(5))))).toBeUndefined()
    expect(findRepeatedProperty(Buffer.from([5, 0x11, 0]))).toBeUndefined()
    expect(findRepeatedProperty(Buffer.from(props([0x7f, 1])))).toBeUndefined()
  })
})

describe('repeated properties on stock aedes', () => {
  it('ends the whole process on a CONNECT with Session Expiry Interval twice (the defect this corrects)', async () => {
    const stock = await stockAedesProcess(h)
    const raw = await rawClient(stock.port, (fn) => h.onCleanup(fn))
    raw.send(connect5('dup', props(SESSION_EXPIRY(10), SESSION_EXPIRY(20))))
    await raw.waitBytes(4)
    raw.socket.destroy()
    expect(await stock.exited).not.toBe(0)
    expect(stock.stderr()).toMatch(/armLongTimer: delayMs must be a finite number/)
  })
})

describe('repeated properties on Postbridge', () => {
  it('answers a CONNECT with Session Expiry Interval twice with CONNACK 0x82 and closes, and keeps serving [MQTT 5 3.1.2.11.2]', async () => {
    const broker = await h.broker()
    const raw = await rawClient(broker.tcpPort, (fn) => h.onCleanup(fn))
    raw.send(connect5('dup-connect', props(SESSION_EXPIRY(10), SESSION_EXPIRY(20))))
    await raw.closed
    expect([...raw.received()]).toEqual(CONNACK_PROTOCOL_ERROR)
    expect(h.log.lines.some((l) => l.msg === 'mqtt protocol error, connection closed')).toBe(true)

    const ok = await h.client(broker.tcpPort, { protocolVersion: 5, properties: { sessionExpiryInterval: 10 } })
    const got = nextMessage(ok, 'still/here')
    await ok.subscribeAsync('still/here')
    await ok.publishAsync('still/here', 'yes')
    expect((await got).payload).toBe('yes')
  })

  it('answers a CONNECT whose will repeats a property with CONNACK 0x82 [MQTT 5 3.1.3.2]', async () => {
    const broker = await h.broker()
    const raw = await rawClient(broker.tcpPort, (fn) => h.onCleanup(fn))
    const will = [...props([0x18, ...u32(5)], [0x18, ...u32(6)]), ...str('dup/will'), ...str('gone')]
    raw.send(packet(0x10, [...str('MQTT'), 5, 0x06, 0, 60, ...props(), ...str('dup-will'), ...will]))
    await raw.closed
    expect([...raw.received()]).toEqual(CONNACK_PROTOCOL_ERROR)
  })

  // Each packet a client sends that has properties, with one repeated. [MQTT 5 2.2.2.2]
  const cases: [string, Buffer][] = [
    ['PUBLISH', packet(0x30, [...str('dup/t'), ...props([0x02, ...u32(60)], [0x02, ...u32(61)]), 0x68, 0x69])],
    ['PUBLISH (falsy first value)', packet(0x30, [...str('dup/t'), ...props([0x01, 0], [0x01, 1]), 0x68, 0x69])],
    ['PUBACK', packet(0x40, [...u16(7), 0x00, ...props(REASON_STRING('a'), REASON_STRING('b'))])],
    ['PUBREC', packet(0x50, [...u16(7), 0x00, ...props(REASON_STRING('a'), REASON_STRING('b'))])],
    ['PUBREL', packet(0x62, [...u16(7), 0x00, ...props(REASON_STRING('a'), REASON_STRING('b'))])],
    ['PUBCOMP', packet(0x70, [...u16(7), 0x00, ...props(REASON_STRING('a'), REASON_STRING('b'))])],
    ['SUBSCRIBE', packet(0x82, [...u16(8), ...props([0x0b, 1], [0x0b, 2]), ...str('dup/#'), 0x00])],
    ['UNSUBSCRIBE', packet(0xa2, [...u16(9), ...props(REASON_STRING('a'), REASON_STRING('b')), ...str('dup/#')])],
    ['DISCONNECT', packet(0xe0, [0x00, ...props(SESSION_EXPIRY(10), SESSION_EXPIRY(20))])],
    ['AUTH', packet(0xf0, [0x18, ...props([0x15, ...str('m')], [0x15, ...str('n')])])],
  ]
  it.each(cases)('answers a %s that repeats a property with DISCONNECT 0x82 and acts on nothing [MQTT 5 4.13.1]', async (_name, bad) => {
    const broker = await h.broker()
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('dup/#')
    const seen = collect(watcher)
    const raw = await rawClient(broker.tcpPort, (fn) => h.onCleanup(fn))
    raw.send(connect5(`dup-${bad[0]}`, props(SESSION_EXPIRY(30))))
    const connack = await raw.waitBytes(1)
    expect(connack[0]).toBe(0x20)
    expect(connack[3]).toBe(0x00)
    const connackLength = 2 + connack[1]!
    raw.send(bad)
    await raw.closed
    expect([...raw.received().subarray(connackLength)]).toEqual(DISCONNECT_PROTOCOL_ERROR)
    // Nothing of it was published.
    const probe = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await probe.publishAsync('dup/probe', 'p', { qos: 1 })
    await waitFor(() => seen.length >= 1)
    expect(seen.map((m) => m.topic)).toEqual(['dup/probe'])
  })
})
