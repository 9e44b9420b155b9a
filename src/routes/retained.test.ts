import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

describe('retained routes', () => {
  it('returns the raw payload with its content type, or the envelope for Accept: application/json', async () => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'home/lamp/state', payload: utf8('{"on":true}'), qos: 1, retain: true, properties: { contentType: 'application/json' } })
    const raw = await t.call('/v1/retained/home/lamp/state')
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('application/json')
    expect(await raw.text()).toBe('{"on":true}')
    const env = await t.call('/v1/retained/home/lamp/state', { headers: { accept: 'application/json' } })
    expect(await env.json()).toMatchObject({ topic: 'home/lamp/state', payload: '{"on":true}', encoding: 'utf8', retain: true })
  })
  it('gives binary payloads back as bytes, and base64 in the envelope', async () => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'b', payload: new Uint8Array([0xff, 0xfe]), qos: 0, retain: true })
    const raw = await t.call('/v1/retained/b')
    expect(raw.headers.get('content-type')).toBe('application/octet-stream')
    expect(new Uint8Array(await raw.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xfe]))
    const env = await t.call('/v1/retained/b', { headers: { accept: 'application/json' } })
    expect(await env.json()).toMatchObject({ payload: '//4=', encoding: 'base64' })
  })
  it('answers 404 problem when nothing is retained', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/retained/none')
    expect(res.status).toBe(404)
    expect(((await res.json()) as { code: number }).code).toBe(40402)
  })
  it('lists by filter, limited to what the token may read', async () => {
    const t = await createTestApp()
    for (const topic of ['home/a', 'home/b', 'garage/c']) await t.bus.publish({ topic, payload: utf8('x'), qos: 0, retain: true })
    const all = (await (await t.call('/v1/retained?filter=%23')).json()) as { messages: { topic: string }[] }
    expect(all.messages.map((m) => m.topic).sort()).toEqual(['garage/c', 'home/a', 'home/b'])
    const token = await t.mint({ read: ['home/a'] })
    const some = (await (await t.call('/v1/retained?filter=%23', { token })).json()) as { messages: { topic: string }[] }
    expect(some.messages.map((m) => m.topic)).toEqual(['home/a'])
    expect((await t.call('/v1/retained?filter=a/%23/b')).status).toBe(400)
  })
  it('clears with DELETE, needing publish scope', async () => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'x/y', payload: utf8('1'), qos: 0, retain: true })
    const reader = await t.mint({ read: ['#'] })
    expect((await t.call('/v1/retained/x/y', { method: 'DELETE', token: reader })).status).toBe(403)
    expect((await t.call('/v1/retained/x/y', { method: 'DELETE' })).status).toBe(204)
    expect((await t.call('/v1/retained/x/y')).status).toBe(404)
  })
  it('answers 403 for a topic outside the read scope', async () => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'secret', payload: utf8('1'), qos: 0, retain: true })
    const token = await t.mint({ read: ['public/#'] })
    expect((await t.call('/v1/retained/secret', { token })).status).toBe(403)
  })
})
