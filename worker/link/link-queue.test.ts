import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { LINK_QOS_PROPERTY } from '../../src/link/protocol.js'
import { api, eventually, inHub, linkHome, text } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())
const publish = (hub: DurableObjectStub, topic: string, body: string, query = '') =>
  api(hub, `/v1/publish/${topic}${query}`, { method: 'POST', body })
// The test vars (vitest.config.ts) set the queue bound to 8 and the ack timeout to 1 s; the default age is 24 h.
const QUEUE_MAX = 8
const DAY_MS = 24 * 3_600_000

async function linkState(hub: DurableObjectStub) {
  return ((await (await api(hub, '/v1/health')).json()) as { link: Record<string, number | string> }).link
}

describe('edge publishes while home is offline', () => {
  it('answers 202 with queued: true and holds the message', async () => {
    const hub = freshHub()
    const res = await publish(hub, 'home/lamp/set', 'on')
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ topic: 'home/lamp/set', queued: true })
    expect((await linkState(hub)).queued).toBe(1)
  })

  it('delivers the held messages in publish order when home links and subscribes', async () => {
    const hub = freshHub()
    for (let i = 1; i <= 5; i++) expect((await publish(hub, `home/cmd/${i % 2}`, `m${i}`)).status).toBe(202)
    const home = await linkHome(hub)
    const got = []
    for (let i = 1; i <= 5; i++) {
      const p = await home.next('publish')
      got.push(text(p.payload))
      expect(p.qos).toBe(1)
      home.send({ cmd: 'puback', messageId: p.messageId })
    }
    expect(got).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    await eventually(async () => expect(await linkState(hub)).toMatchObject({ queued: 0, delivered: 5 }))
    home.close()
  })

  it('sends nothing down before home subscribes', async () => {
    const hub = freshHub()
    await publish(hub, 'a', 'x')
    const home = await linkHome(hub, { subscribe: false })
    home.send({ cmd: 'pingreq' })
    await home.next('pingresp')
    expect(home.received.filter((p) => p.cmd === 'publish')).toHaveLength(0)
    home.close()
  })

  it('sends an unacknowledged message again, marked DUP, on the next link [MQTT-3.3.1-1]', async () => {
    const hub = freshHub()
    await publish(hub, 'a', 'once')
    const first = await linkHome(hub)
    const p1 = await first.next('publish')
    expect(p1.dup).toBe(false)
    first.close() // no PUBACK
    await first.closed
    const second = await linkHome(hub)
    const p2 = await second.next('publish')
    expect([text(p2.payload), p2.dup]).toEqual(['once', true])
    second.close()
  })

  it('refuses a publish with 503 once the queue holds its maximum, and counts it', async () => {
    const hub = freshHub()
    for (let i = 0; i < QUEUE_MAX; i++) expect((await publish(hub, 'a', String(i))).status).toBe(202)
    const res = await publish(hub, 'a', 'one too many')
    expect(res.status).toBe(503)
    expect(((await res.json()) as { detail: string }).detail).toMatch(/queue is full/)
    expect(await linkState(hub)).toMatchObject({ queued: QUEUE_MAX, refusedQueueFull: 1 })
  })

  it('keeps the edge retained state for a retained publish made while home is away', async () => {
    const hub = freshHub()
    expect((await publish(hub, 'home/lamp/state', 'on', '?retain=true')).status).toBe(202)
    const res = await api(hub, '/v1/retained/home/lamp/state')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('on')
  })

  it('carries the QoS 0 and 2 of a message to home in a user property, the link itself at QoS 1', async () => {
    const hub = freshHub()
    await publish(hub, 'a', 'zero', '?qos=0')
    await publish(hub, 'a', 'two', '?qos=2')
    const home = await linkHome(hub)
    const [p0, p2] = [await home.next('publish'), await home.next('publish')]
    expect([p0.qos, p0.properties?.userProperties?.[LINK_QOS_PROPERTY]]).toEqual([1, '0'])
    expect([p2.qos, p2.properties?.userProperties?.[LINK_QOS_PROPERTY]]).toEqual([1, '2'])
    home.close()
  })
})

describe('edge publishes while home is linked', () => {
  it('answers 200 (no queued flag) once home acknowledged the message', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const pending = publish(hub, 'home/lamp/set', 'on')
    const p = await home.next('publish')
    expect([p.topic, text(p.payload)]).toEqual(['home/lamp/set', 'on'])
    home.send({ cmd: 'puback', messageId: p.messageId })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).not.toHaveProperty('queued')
    home.close()
  })

  it('answers 202 when home does not acknowledge within the ack timeout, and keeps the message', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const res = await publish(hub, 'a', 'slow')
    expect(res.status).toBe(202)
    expect((await linkState(hub)).queued).toBe(1)
    home.close()
  })

  it('answers 503 when home acknowledges with a failure reason code, and does not send it again', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const pending = publish(hub, 'a', 'refused')
    const p = await home.next('publish')
    home.send({ cmd: 'puback', messageId: p.messageId, reasonCode: 0x80 })
    expect((await pending).status).toBe(503)
    expect(await linkState(hub)).toMatchObject({ queued: 0, rejectedByHome: 1 })
    home.close()
  })

  it('answers 202 for publishes waiting when the link drops, and sends them on the next link', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const pending = publish(hub, 'a', 'in flight')
    await home.next('publish')
    home.close()
    expect((await pending).status).toBe(202)
    const again = await linkHome(hub)
    expect(text((await again.next('publish')).payload)).toBe('in flight')
    again.close()
  })
})

describe('expiry of held messages', () => {
  it('sets an alarm for when the oldest held message expires', async () => {
    const hub = freshHub()
    const before = Date.now()
    await publish(hub, 'a', 'x')
    const alarm = await inHub(hub, (_hub, state) => state.storage.getAlarm())
    expect(alarm).toBeGreaterThanOrEqual(before + DAY_MS)
    expect(alarm).toBeLessThanOrEqual(Date.now() + DAY_MS)
  })

  it('drops and counts the expired ones when the alarm runs, and delivers only the rest', async () => {
    const hub = freshHub()
    await publish(hub, 'a', 'old-1')
    await publish(hub, 'a', 'old-2')
    // Two hours later a fresh one comes; then the clock moves to just past the old ones' age.
    const start = Date.now()
    await inHub(hub, (h) => {
      h.now = () => start + 2 * 3_600_000
    })
    await publish(hub, 'a', 'fresh')
    await inHub(hub, (h) => {
      h.now = () => start + DAY_MS + 60_000
    })
    expect(await runDurableObjectAlarm(hub)).toBe(true)
    expect(await linkState(hub)).toMatchObject({ queued: 1, expired: 2 })
    // The alarm moved on to the fresh message's expiry.
    const next = await inHub(hub, (_h, state) => state.storage.getAlarm())
    expect(next).toBeGreaterThan(start + DAY_MS)
    const home = await linkHome(hub)
    expect(text((await home.next('publish')).payload)).toBe('fresh')
    home.close()
  })

  it('drops expired messages at delivery time even before the alarm ran', async () => {
    const hub = freshHub()
    await publish(hub, 'a', 'stale')
    await inHub(hub, (h) => {
      h.now = () => Date.now() + DAY_MS + 1
    })
    const home = await linkHome(hub)
    home.send({ cmd: 'pingreq' })
    await home.next('pingresp')
    expect(home.received.filter((p) => p.cmd === 'publish')).toHaveLength(0)
    expect((await linkState(hub)).expired).toBe(1)
    home.close()
  })

  it('never delivers a /v1/request made while home was offline after the caller gave up', async () => {
    const hub = freshHub()
    const res = await api(hub, '/v1/request/garage/door/toggle?timeout=1000', { method: 'POST', body: 'go' })
    expect(res.status).toBe(504)
    await inHub(hub, (h) => {
      h.now = () => Date.now() + 2000
    })
    const home = await linkHome(hub)
    home.send({ cmd: 'pingreq' })
    await home.next('pingresp')
    expect(home.received.filter((p) => p.cmd === 'publish')).toHaveLength(0)
    expect((await linkState(hub)).expired).toBe(1)
    home.close()
  })

  it('expires a message sooner when its MQTT 5 messageExpiryInterval says so, and forwards the time left [MQTT-3.3.2-6]', async () => {
    const hub = freshHub()
    const envelope = { topic: 'a', payload: 'x', encoding: 'utf8', qos: 1, retain: false, properties: { messageExpiryInterval: 60 } }
    const start = Date.now()
    await api(hub, '/v1/publish', { method: 'POST', body: JSON.stringify(envelope), headers: { 'content-type': 'application/json' } })
    await api(hub, '/v1/publish', {
      method: 'POST',
      body: JSON.stringify({ ...envelope, payload: 'y', properties: { messageExpiryInterval: 3600 } }),
      headers: { 'content-type': 'application/json' },
    })
    await inHub(hub, (h) => {
      h.now = () => start + 120_000
    })
    const home = await linkHome(hub)
    const p = await home.next('publish')
    expect(text(p.payload)).toBe('y')
    expect(p.properties?.messageExpiryInterval).toBeLessThanOrEqual(3600 - 119)
    expect(p.properties?.messageExpiryInterval).toBeGreaterThan(3000)
    expect((await linkState(hub)).expired).toBe(1)
    home.close()
  })
})

describe('draining the queue in batches (issue 11)', () => {
  it('sends held messages down several to a WebSocket frame, in order, and refills as acknowledgements come', async () => {
    const hub = freshHub()
    for (let i = 0; i < QUEUE_MAX; i++) expect((await publish(hub, 'home/cmd', `b${i}`)).status).toBe(202)
    const home = await linkHome(hub)
    const framesBefore = home.frames()
    const got = []
    for (let i = 0; i < QUEUE_MAX; i++) {
      const p = await home.next('publish')
      got.push(text(p.payload))
      home.send({ cmd: 'puback', messageId: p.messageId })
    }
    expect(got).toEqual(Array.from({ length: QUEUE_MAX }, (_, i) => `b${i}`))
    // All eight fit one batch: one frame, not eight.
    expect(home.frames() - framesBefore).toBe(1)
    await eventually(async () => expect(await linkState(hub)).toMatchObject({ queued: 0, delivered: QUEUE_MAX }))
    home.close()
  })
})
