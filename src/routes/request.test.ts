import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

describe('POST /v1/request/{topic}', () => {
  it('returns the reply of an MQTT 5 responder that answers on responseTopic with correlationData', async () => {
    const t = await createTestApp()
    await t.bus.subscribe(['dev/cmd'], (m) => {
      void t.bus.publish({ topic: m.properties!.responseTopic!, payload: utf8('pong'), qos: 0, retain: false, properties: { correlationData: m.properties!.correlationData! } })
    })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('pong')
  })
  it('ignores a reply carrying another request correlation data', async () => {
    const t = await createTestApp()
    await t.bus.subscribe(['dev/cmd'], (m) => {
      void t.bus.publish({ topic: m.properties!.responseTopic!, payload: utf8('wrong'), qos: 0, retain: false, properties: { correlationData: utf8('other') } })
      void t.bus.publish({ topic: m.properties!.responseTopic!, payload: utf8('right'), qos: 0, retain: false, properties: { correlationData: m.properties!.correlationData! } })
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
