import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

describe('retained routes', () => {
  it('returns the raw payload with its content type, or the envelope for Accept: application/json', async () => {
    const t = await createTestApp()
    await t.bus.publish({
      topic: 'home/lamp/state',
      payload: utf8('{"on":true}'),
      qos: 1,
      retain: true,
      properties: { contentType: 'application/json' },
    })
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

describe('GET /v1/retained?filter= paging (issue 10)', () => {
  async function seeded(count: number, payloadBytes: number, limits: Record<string, number> = {}) {
    const t = await createTestApp({
      limits: { maxPayloadBytes: 1024 * 1024, maxRequestTimeoutMs: 2000, defaultRequestTimeoutMs: 500, maxBulk: 10, ...limits },
    })
    for (let i = 0; i < count; i++) {
      await t.bus.publish({ topic: `home/t/${String(i).padStart(3, '0')}`, payload: new Uint8Array(payloadBytes).fill(0x61), qos: 0, retain: true })
    }
    return t
  }
  type Page = { messages: { topic: string }[]; next?: string }
  const page = async (t: Awaited<ReturnType<typeof seeded>>, query: string) => {
    const res = await t.call(`/v1/retained?${query}`)
    expect(res.status).toBe(200)
    return (await res.json()) as Page
  }

  it('pages by limit in topic order, with a next cursor until the last page', async () => {
    const t = await seeded(5, 10)
    const first = await page(t, 'filter=home/%23&limit=2')
    expect(first.messages.map((m) => m.topic)).toEqual(['home/t/000', 'home/t/001'])
    const second = await page(t, `filter=home/%23&limit=2&cursor=${first.next}`)
    expect(second.messages.map((m) => m.topic)).toEqual(['home/t/002', 'home/t/003'])
    const last = await page(t, `filter=home/%23&limit=2&cursor=${second.next}`)
    expect(last.messages.map((m) => m.topic)).toEqual(['home/t/004'])
    expect(last.next).toBeUndefined()
  })

  it('keeps the old answer for a small set: every message, no next', async () => {
    const t = await seeded(3, 10)
    const all = await page(t, 'filter=%23')
    expect(all.messages).toHaveLength(3)
    expect(all).not.toHaveProperty('next')
  })

  it('caps a page at http.retainedPageBytes, but always answers with at least one message', async () => {
    const t = await seeded(10, 64 * 1024, { retainedPageBytes: 100 * 1024 })
    const first = await page(t, 'filter=%23')
    expect(first.messages).toHaveLength(1)
    expect(first.next).toBeDefined()
    let seen = first.messages.length
    let next = first.next
    while (next) {
      const p = await page(t, `filter=%23&cursor=${next}`)
      seen += p.messages.length
      next = p.next
    }
    expect(seen).toBe(10)
  })

  it.each([['limit=0'], ['limit=x'], ['limit=1001'], ['cursor=%25%25'], ['cursor=']])('refuses %s with a 400 problem', async (query) => {
    const t = await seeded(1, 1)
    const res = await t.call(`/v1/retained?filter=%23&${query}`)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
