import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

async function readEvents(res: Response, count: number): Promise<{ event: string; data: string }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const events: { event: string; data: string }[] = []
  let buffer = ''
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event && data !== undefined) events.push({ event, data })
    }
  }
  await reader.cancel()
  return events
}

describe('GET /v1/subscribe', () => {
  it('streams matching messages as events, and only those', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/subscribe?filter=home/%23&filter=garage/door')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const events = readEvents(res, 3)
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    await t.bus.publish({ topic: 'elsewhere', payload: utf8('no'), qos: 0, retain: false })
    await t.bus.publish({ topic: 'home/lamp', payload: utf8('on'), qos: 0, retain: false })
    await t.bus.publish({ topic: 'garage/door', payload: new Uint8Array([1, 255]), qos: 1, retain: false })
    const got = await events
    expect(got[0]!.event).toBe('ready')
    expect(JSON.parse(got[1]!.data)).toMatchObject({ topic: 'home/lamp', payload: 'on', encoding: 'utf8' })
    expect(JSON.parse(got[2]!.data)).toMatchObject({ topic: 'garage/door', payload: 'Af8=', encoding: 'base64' })
  })
  it('unsubscribes when the client goes away', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/subscribe?filter=%23')
    await readEvents(res, 1)
    for (let i = 0; i < 100 && t.bus.subscriberCount > 0; i++) await new Promise((r) => setTimeout(r, 5))
    expect(t.bus.subscriberCount).toBe(0)
  })
  it.each([
    ['/v1/subscribe', 400],
    ['/v1/subscribe?filter=a/%23/b', 400],
  ])('refuses %s', async (path, status) => {
    const t = await createTestApp()
    expect((await t.call(path)).status).toBe(status)
  })
  it('refuses a filter wider than the token read scope', async () => {
    const t = await createTestApp()
    const token = await t.mint({ read: ['home/#'] })
    expect((await t.call('/v1/subscribe?filter=%23', { token })).status).toBe(403)
    expect(t.bus.subscriberCount).toBe(0)
  })
})

describe('GET /v1/subscribe bounds (issue 10)', () => {
  const limits = { maxPayloadBytes: 1024 * 1024, maxRequestTimeoutMs: 2000, defaultRequestTimeoutMs: 500, maxBulk: 10 }

  it('caps open streams per token with 429 and in total with 503, both with Retry-After, and frees a slot when a stream ends', async () => {
    const t = await createTestApp({ limits: { ...limits, maxStreamsPerToken: 2, maxStreams: 3 } })
    const a = await t.mint({ read: ['#'] }, 'a')
    const b = await t.mint({ read: ['#'] }, 'b')
    const open = [await t.call('/v1/subscribe?filter=%23', { token: a }), await t.call('/v1/subscribe?filter=%23', { token: a })]
    const third = await t.call('/v1/subscribe?filter=%23', { token: a })
    expect(third.status).toBe(429)
    expect(third.headers.get('retry-after')).toBe('5')
    expect(((await third.json()) as { code: number }).code).toBe(42970)
    open.push(await t.call('/v1/subscribe?filter=%23', { token: b }))
    const full = await t.call('/v1/subscribe?filter=%23', { token: b })
    expect(full.status).toBe(503)
    expect(full.headers.get('retry-after')).toBe('5')
    expect(((await full.json()) as { code: number }).code).toBe(50370)
    await open[0]!.body!.cancel()
    expect((await t.call('/v1/subscribe?filter=%23', { token: b })).status).toBe(200)
  })

  it('drops a stream whose reader falls more than sseBufferBytes behind, with a final overflow event', async () => {
    const t = await createTestApp({ limits: { ...limits, sseBufferBytes: 64 * 1024 } })
    const res = await t.call('/v1/subscribe?filter=%23')
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    // Nobody reads: 100 messages of 8 KiB are far more than 64 KiB.
    for (let i = 0; i < 100; i++) await t.bus.publish({ topic: 'home/x', payload: new Uint8Array(8 * 1024), qos: 0, retain: false })
    expect(t.bus.subscriberCount).toBe(0)
    const text = await res.text()
    const events = [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])
    expect(events.at(-1)).toBe('overflow')
    expect(events.filter((e) => e === 'message').length).toBeLessThan(100)
  })

  it('still delivers a message larger than sseBufferBytes to a reader that keeps up', async () => {
    const t = await createTestApp({ limits: { ...limits, sseBufferBytes: 1024 } })
    const res = await t.call('/v1/subscribe?filter=%23')
    const events = readEvents(res, 2)
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    await t.bus.publish({ topic: 'big', payload: new Uint8Array(4096), qos: 0, retain: false })
    expect((await events).map((e) => e.event)).toEqual(['ready', 'message'])
  })
})

describe('GET /v1/subscribe with names like Object.prototype members', () => {
  it('streams messages on topics by those names, with user properties by those names, like any other', async () => {
    const outcome = async (name: string) => {
      const t = await createTestApp()
      const res = await t.call(`/v1/subscribe?filter=${name}&filter=${name}/%23`)
      const events = readEvents(res, 3)
      while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
      const userProperties = JSON.parse(`{"${name}":"v"}`) as Record<string, string>
      await t.bus.publish({ topic: name, payload: utf8('a'), qos: 0, retain: false, properties: { userProperties } })
      await t.bus.publish({ topic: `${name}/x`, payload: utf8('b'), qos: 1, retain: false })
      return [res.status, ...(await events).map((e) => `${e.event} ${e.data.replaceAll(name, '<name>')}`)]
    }
    const expected = await outcome('plain')
    expect(expected[2]).toContain('"userProperties":{"<name>":"v"}')
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])
      expect({ name, got: await outcome(name) }).toEqual({ name, got: expected })
  })
})
