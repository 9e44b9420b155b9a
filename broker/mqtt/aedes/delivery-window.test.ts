import { describe, expect, it, vi } from 'vitest'
import type { BrokerPacket, ClientInternals, DeliverFn } from '../aedes-internals.js'
import { grantedQos, installDeliveryWindow, type DeliveryCounters } from './delivery-window.js'

/** A stand-in for an aedes Client: records what reaches the socket and lets the test finish each write. */
class FakeClient {
  subscriptions: Record<string, { qos: number }> = {}
  readonly sent: { topic: string; qos: number; via: 'deliver0' | 'deliverQoS' }[] = []
  readonly writes: (() => void)[] = []
  readonly disconnects: unknown[] = []
  deliver0: DeliverFn = (p, done) => (this.sent.push({ topic: p.topic, qos: 0, via: 'deliver0' }), this.writes.push(done))
  deliverQoS: DeliverFn = (p, done) => (this.sent.push({ topic: p.topic, qos: p.qos, via: 'deliverQoS' }), this.writes.push(done))
  disconnect(opts: unknown) {
    this.disconnects.push(opts)
  }
  /** The socket drained: every pending write completes. */
  drain() {
    for (const done of this.writes.splice(0)) done()
  }
}

let counter = 0
function packet(topic: string, qos: 0 | 1 | 2): BrokerPacket {
  return { cmd: 'publish', topic, payload: Buffer.from('x'), qos, retain: false, dup: false, brokerId: 'b', brokerCounter: ++counter } as BrokerPacket
}

function setup(maxQueued: number, stallTimeoutMs = 60_000) {
  const client = new FakeClient()
  const counters: DeliveryCounters = { delivered: 0, shed: 0, overflowDisconnects: 0 }
  const detached: number[] = []
  installDeliveryWindow(client as unknown as ClientInternals, { maxQueued, stallTimeoutMs, counters, detach: (p) => detached.push(p.brokerCounter) })
  const released: string[] = []
  const deliver = (topic: string, qos: 0 | 1 | 2) => client.deliverQoS(packet(topic, qos), () => released.push(topic))
  return { client, counters, detached, released, deliver }
}

const tick = () => new Promise((r) => setImmediate(r))

describe('delivery window', () => {
  it('releases the emitter at once while the window has room', async () => {
    const { client, released, deliver } = setup(10)
    client.subscriptions = { '#': { qos: 1 } }
    deliver('a', 0)
    deliver('b', 1)
    await tick()
    expect(released).toEqual(['a', 'b'])
    expect(client.sent.map((s) => s.via)).toEqual(['deliver0', 'deliverQoS'])
  })

  it('sheds QoS 0 messages to a subscriber whose window is full, and counts them', async () => {
    const { client, counters, released, deliver } = setup(2)
    client.subscriptions = { '#': { qos: 0 } }
    for (let i = 0; i < 5; i++) deliver(`m${i}`, 0)
    await tick()
    expect(client.sent.map((s) => s.topic)).toEqual(['m0', 'm1'])
    expect(counters.shed).toBe(3)
    expect(released).toHaveLength(5)
    client.drain()
    deliver('m5', 0)
    expect(client.sent.map((s) => s.topic)).toEqual(['m0', 'm1', 'm5'])
  })

  it('holds QoS 1 messages behind a full window, detaches them from the emitter and sends them in order', async () => {
    const { client, counters, detached, released, deliver } = setup(2)
    client.subscriptions = { 'q/#': { qos: 1 } }
    deliver('q/1', 1)
    deliver('q/2', 1)
    deliver('q/3', 1)
    deliver('q/4', 1)
    await tick()
    expect(client.sent.map((s) => s.topic)).toEqual(['q/1', 'q/2'])
    expect(detached).toHaveLength(2)
    expect(released).toEqual(['q/1', 'q/2']) // the publishers of q/3 and q/4 are still held
    client.drain()
    await tick()
    expect(client.sent.map((s) => s.topic)).toEqual(['q/1', 'q/2', 'q/3', 'q/4'])
    expect(released).toEqual(['q/1', 'q/2', 'q/3', 'q/4'])
    expect(counters.shed).toBe(0)
  })

  it('disconnects a subscriber with 0x97 when QoS 1 messages keep piling up behind it', () => {
    const { client, counters, deliver } = setup(2)
    client.subscriptions = { '#': { qos: 2 } }
    for (let i = 0; i < 6; i++) deliver(`t${i}`, 2)
    expect(client.disconnects).toEqual([{ reasonCode: 0x97 }])
    expect(counters.overflowDisconnects).toBe(1)
  })

  it('disconnects a subscriber that leaves QoS 1 messages waiting without reading for stallTimeoutMs', async () => {
    // The clock is the test's: on a loaded machine real 30 ms sleeps overran the 50 ms bound.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const { client, counters, deliver } = setup(2, 50)
      client.subscriptions = { '#': { qos: 1 } }
      for (let i = 0; i < 3; i++) deliver(`t${i}`, 1)
      await vi.advanceTimersByTimeAsync(30)
      client.writes.shift()!() // some progress restarts the clock
      deliver('t3', 1)
      await vi.advanceTimersByTimeAsync(30)
      expect(client.disconnects).toEqual([])
      await vi.advanceTimersByTimeAsync(60)
      expect(client.disconnects).toEqual([{ reasonCode: 0x97 }])
      expect(counters.overflowDisconnects).toBe(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('delivers at the lower of published and granted QoS through wildcards, the highest overlapping grant winning [MQTT-3.8.4-6] [MQTT-3.3.5-1]', () => {
    const { client, deliver } = setup(10)
    client.subscriptions = { 'a/+': { qos: 1 }, 'a/#': { qos: 0 }, 'b/#': { qos: 0 } }
    deliver('a/x', 2)
    deliver('b/y', 1)
    client.deliver0(packet('a/z', 1), () => {}) // reached through the QoS 0 subscription first
    expect(client.sent).toEqual([
      { topic: 'a/x', qos: 1, via: 'deliverQoS' },
      { topic: 'b/y', qos: 0, via: 'deliver0' },
      { topic: 'a/z', qos: 1, via: 'deliverQoS' },
    ])
  })

  it('computes the granted QoS with MQTT matching rules', () => {
    expect(grantedQos({ subscriptions: { '#': { qos: 2 } } }, '$SYS/x')).toBeUndefined()
    expect(grantedQos({ subscriptions: { 'a/#': { qos: 1 } } }, 'a')).toBe(1)
    expect(grantedQos({ subscriptions: { 'a/+': { qos: 1 } } }, 'b/c')).toBeUndefined()
  })
})
