import { describe, expect, it } from 'vitest'
import { mqtt5Responder } from '../testing/mqtt5-responder.js'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

describe('POST /v1/request/{topic}', () => {
  it('returns the reply of an MQTT 5 responder that answers on responseTopic with correlationData', async () => {
    const t = await createTestApp()
    await mqtt5Responder(t.bus, 'dev/cmd', 'pong')
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('pong')
  })
  it('ignores a reply carrying another request correlation data', async () => {
    const t = await createTestApp()
    await t.bus.subscribe(['dev/cmd'], (m) => {
      void t.bus.publish({
        topic: m.properties!.responseTopic!,
        payload: utf8('wrong'),
        qos: 0,
        retain: false,
        properties: { correlationData: utf8('other') },
      })
      void t.bus.publish({
        topic: m.properties!.responseTopic!,
        payload: utf8('right'),
        qos: 0,
        retain: false,
        properties: { correlationData: m.properties!.correlationData! },
      })
    })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping' })
    expect(await res.text()).toBe('right')
  })
  it('returns the reply of a 3.1.1 responder on {topic}/reply as a JSON envelope on request', async () => {
    const t = await createTestApp()
    await t.bus.subscribe(['dev/cmd'], () => {
      void t.bus.publish({ topic: 'dev/cmd/reply', payload: utf8('ok'), qos: 0, retain: false })
    })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'go', headers: { accept: 'application/json' } })
    expect(await res.json()).toMatchObject({ topic: 'dev/cmd/reply', payload: 'ok' })
  })
  it('answers 504 problem when no reply comes, and stops listening', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/request/dev/cmd?timeout=30', { method: 'POST', body: 'go' })
    expect(res.status).toBe(504)
    expect(((await res.json()) as { code: number }).code).toBe(50401)
    expect(t.bus.subscriberCount).toBe(0)
  })
  it.each(['abc', '0', '999999'])('refuses timeout=%s', async (timeout) => {
    const t = await createTestApp()
    const res = await t.call(`/v1/request/dev/cmd?timeout=${timeout}`, { method: 'POST', body: 'go' })
    expect(res.status).toBe(400)
    expect(t.bus.published).toHaveLength(0)
  })
  it('needs publish scope on the topic', async () => {
    const t = await createTestApp()
    const token = await t.mint({ read: ['#'] })
    expect((await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'go', token })).status).toBe(403)
  })
})

describe('POST /v1/request bounds (issue 10)', () => {
  it('caps waiting requests per token with 429 and in total with 503, both with Retry-After', async () => {
    const t = await createTestApp({
      limits: { maxPayloadBytes: 1024, maxRequestTimeoutMs: 2000, defaultRequestTimeoutMs: 500, maxBulk: 10, maxRequestsPerToken: 1, maxRequests: 2 },
    })
    const a = await t.mint({ publish: ['#'], read: ['#'] }, 'a')
    const b = await t.mint({ publish: ['#'], read: ['#'] }, 'b')
    const waiting = [t.call('/v1/request/dev/a?timeout=1500', { method: 'POST', body: 'x', token: a })]
    while (t.bus.published.length < 1) await new Promise((r) => setTimeout(r, 5))
    const second = await t.call('/v1/request/dev/a?timeout=1500', { method: 'POST', body: 'x', token: a })
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('1')
    expect(((await second.json()) as { code: number }).code).toBe(42971)
    waiting.push(t.call('/v1/request/dev/b?timeout=1500', { method: 'POST', body: 'x', token: b }))
    while (t.bus.published.length < 2) await new Promise((r) => setTimeout(r, 5))
    const full = await t.call('/v1/request/dev/c?timeout=1500', { method: 'POST', body: 'x' })
    expect(full.status).toBe(503)
    expect(full.headers.get('retry-after')).toBe('1')
    expect(((await full.json()) as { code: number }).code).toBe(50371)
    expect(t.bus.published).toHaveLength(2)
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([504, 504])
    // Slots are freed once the waits end.
    expect((await t.call('/v1/request/dev/c?timeout=10', { method: 'POST', body: 'x' })).status).toBe(504)
  })
})

describe('POST /v1/request/{topic} with a body the runtime already holds (AppBindings.arrivedBody)', () => {
  it('publishes the held body', async () => {
    const t = await createTestApp()
    let asked: Uint8Array | undefined
    await t.bus.subscribe(['dev/cmd'], (m) => {
      asked = m.payload
      void t.bus.publish({
        topic: m.properties!.responseTopic!,
        payload: utf8('pong'),
        qos: 0,
        retain: false,
        properties: { correlationData: m.properties!.correlationData! },
      })
    })
    let taken = 0
    const arrivedBody = {
      get rawBody() {
        taken++
        return utf8('ping')
      },
    }
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping', headers: { 'content-length': '4' }, env: { arrivedBody } })
    expect(await res.text()).toBe('pong')
    expect(taken).toBe(1)
    expect(asked).toEqual(utf8('ping'))
  })
})
