/** Overload never takes the broker down: publishers flat out, `#` subscribers fast, slow and stalled. */
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, nextMessage, sleep, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

const PUBLISHERS = 6
const PER_PUBLISHER = 6000
/** Big enough that a stalled subscriber fills the loopback socket buffers (a few MB) quickly. */
const PAYLOAD = 'x'.repeat(1024)

function countMessages(client: MqttClient): () => number {
  let n = 0
  client.on('message', () => n++)
  return () => n
}

/** Publishes `count` messages as fast as mqtt.js takes them; resolves when QoS 1 ones are acknowledged. */
function floodFrom(client: MqttClient, index: number, qos: 0 | 1, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0
    let settled = 0
    const onSettled = (err?: Error) => {
      if (err) return reject(err)
      if (++settled === count) resolve()
    }
    const burst = () => {
      for (let k = 0; k < 500 && sent < count; k++, sent++) client.publish(`flood/${index}/${sent % 10}`, PAYLOAD, { qos }, onSettled)
      if (sent < count) setImmediate(burst)
    }
    burst()
  })
}

/** The broker still answers: a new client gets a QoS 1 message through within `withinMs`. */
async function probe(port: number, withinMs: number): Promise<number> {
  const t0 = performance.now()
  const sub = await h.client(port, { protocolVersion: 5 })
  await sub.subscribeAsync('probe/#', { qos: 1 })
  const pub = await h.client(port, { protocolVersion: 4 })
  const got = nextMessage(sub, 'probe/ping', withinMs)
  await pub.publishAsync('probe/ping', 'pong', { qos: 1 })
  expect((await got).payload).toBe('pong')
  return performance.now() - t0
}

describe('flood', () => {
  it('keeps answering and delivering under a flood of QoS 0 and 1 publishers with fast and slow # subscribers', async () => {
    const broker = await h.broker({ maxQueuedPerClient: 500 })
    const port = broker.tcpPort

    const fast4 = await h.client(port, { protocolVersion: 4 })
    await fast4.subscribeAsync('#', { qos: 0 })
    const fast4Count = countMessages(fast4)
    const fast5 = await h.client(port, { protocolVersion: 5 })
    await fast5.subscribeAsync('#', { qos: 1 })
    const fast5Count = countMessages(fast5)
    // A subscriber that stops reading altogether: stock aedes lets it hold every emitter slot.
    const stalled = await h.client(port, { protocolVersion: 4, keepalive: 0 })
    await stalled.subscribeAsync('#', { qos: 0 })
    stalled.stream.pause()
    let busCount = 0
    await broker.bus.subscribe(['#'], () => busCount++)

    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => h.client(port, { protocolVersion: i % 2 ? 5 : 4 })))
    const rssBefore = process.memoryUsage().rss
    const t0 = performance.now()
    await Promise.all(publishers.map((p, i) => floodFrom(p, i, (i % 2) as 0 | 1, PER_PUBLISHER)))
    const publishMs = performance.now() - t0
    const total = PUBLISHERS * PER_PUBLISHER
    const qos1Total = (PUBLISHERS / 2) * PER_PUBLISHER

    // Every accepted message reached the in-process Bus subscriber and the QoS 1 `#` subscriber got
    // every QoS 1 message; QoS 0 to the stalled subscriber was shed instead of stalling everyone.
    await waitFor(() => busCount === total, 20_000, 'the Bus subscriber to see every message')
    await waitFor(() => fast5Count() >= qos1Total, 20_000, 'the QoS 1 subscriber to get every QoS 1 message')
    await waitFor(() => fast4Count() > 0, 5000, 'the QoS 0 subscriber')
    const probeMs = await probe(port, 3000)

    const status = broker.bus.status()
    const detail = status.detail as Record<string, number>
    expect(detail.shedMessages).toBeGreaterThan(0)
    expect(stalled.connected).toBe(true)
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1e6
    console.info(
      `flood: ${total} messages from ${PUBLISHERS} publishers in ${publishMs.toFixed(0)} ms ` +
        `(${Math.round(total / (publishMs / 1000))} msg/s in); fast QoS 0 sub got ${fast4Count()}, ` +
        `QoS 1 sub ${fast5Count()}, Bus ${busCount}; shed ${detail.shedMessages}; ` +
        `max emitter backlog ${detail.emitterMaxBacklog}; probe round trip ${probeMs.toFixed(0)} ms; rss +${rssGrowthMb.toFixed(0)} MB`,
    )
    expect(rssGrowthMb).toBeLessThan(400)
  })

  it('keeps going when a stalled subscriber drops out mid-flood, with an in-process # subscriber', async () => {
    const broker = await h.broker()
    const port = broker.tcpPort
    const stalled = await h.client(port, { protocolVersion: 4, keepalive: 0 })
    await stalled.subscribeAsync('#', { qos: 0 })
    stalled.stream.pause()
    // An in-process subscriber completes synchronously, which is what made the backlog recurse.
    let busCount = 0
    await broker.bus.subscribe(['#'], () => busCount++)
    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, () => h.client(port, { protocolVersion: 4 })))
    const flood = Promise.all(publishers.map((p, i) => floodFrom(p, i, 0, PER_PUBLISHER)))
    // Stock aedes stalls here, every emitter slot held by the stalled subscriber and a backlog behind
    // it that later drains by recursion (emitter-gate.test.ts); with the window the flood goes on.
    await sleep(1500)
    stalled.stream.destroy()
    await flood
    await waitFor(() => busCount === PUBLISHERS * PER_PUBLISHER, 20_000, 'every message to reach the Bus')
    await probe(port, 3000)
  })

  it('cuts off a stalled QoS 1 subscriber instead of stalling every publisher', async () => {
    const broker = await h.broker({ maxQueuedPerClient: 200, slowSubscriberTimeoutMs: 1000 })
    const port = broker.tcpPort
    const stalled = await h.client(port, { protocolVersion: 5, clientId: 'stalled', keepalive: 0 })
    await stalled.subscribeAsync('#', { qos: 1 })
    stalled.stream.pause()
    const fast = await h.client(port, { protocolVersion: 4 })
    await fast.subscribeAsync('flood/#', { qos: 1 })
    const fastCount = countMessages(fast)

    const publishers = await Promise.all(Array.from({ length: 3 }, () => h.client(port, { protocolVersion: 5 })))
    await Promise.all(publishers.map((p, i) => floodFrom(p, i, 1, 3000)))
    await waitFor(() => fastCount() === 9000, 20_000, 'the fast subscriber to get every message')
    const detail = broker.bus.status().detail as Record<string, number>
    expect(detail.slowSubscriberDisconnects).toBe(1)
    expect(h.log.lines.some((l) => l.msg === 'mqtt subscriber too slow, disconnecting')).toBe(true)
    await probe(port, 3000)
  })
})
