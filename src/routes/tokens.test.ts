import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

describe('/v1/tokens', () => {
  it('creates a scoped token that works, lists it without its secret, and revokes it', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/tokens', json({ name: 'phone', publish: ['home/+/set'], read: ['home/#'] }))
    expect(res.status).toBe(201)
    const created = (await res.json()) as { id: string; token: string }
    expect((await t.call('/v1/publish/home/lamp/set', { method: 'POST', body: '1', token: created.token })).status).toBe(200)
    const list = await (await t.call('/v1/tokens')).text()
    expect(list).toContain(created.id)
    expect(list).not.toContain(created.token)
    expect(list).not.toContain('hash')
    expect((await t.call(`/v1/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await t.call('/v1/publish/home/lamp/set', { method: 'POST', body: '1', token: created.token })).status).toBe(401)
    expect((await t.call(`/v1/tokens/${created.id}`, { method: 'DELETE' })).status).toBe(404)
  })
  it('is for admins only', async () => {
    const t = await createTestApp()
    const token = await t.mint({ publish: ['#'], read: ['#'] })
    expect((await t.call('/v1/tokens', { token })).status).toBe(403)
    expect((await t.call('/v1/tokens', { ...json({ name: 'x', admin: true }), token })).status).toBe(403)
  })
  it('refuses bad filters and unknown fields, storing nothing', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/tokens', json({ name: 'x', publish: ['a/#/b'] }))).status).toBe(400)
    expect((await t.call('/v1/tokens', json({ name: 'x', scopes: [] }))).status).toBe(400)
    expect(await t.tokens.list()).toHaveLength(1)
  })
})

describe('health, metrics, docs', () => {
  it('answers /v1/health without a token, saying only ok', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/health', { token: null })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 'ok' })
  })
  it('counts HTTP requests by route pattern and status in /metrics, behind a token', async () => {
    const t = await createTestApp()
    await t.call('/v1/publish/a/b', { method: 'POST', body: 'x' })
    await t.call('/v1/publish/c/d', { method: 'POST', body: 'x' })
    expect((await t.call('/metrics', { token: null })).status).toBe(401)
    const text = await (await t.call('/metrics')).text()
    expect(text).toContain('postbridge_http_requests_total{route="/v1/publish/:topic{.+}",method="POST",status="200"} 2')
    expect(text).toContain('postbridge_broker_connected 1')
  })
  it('serves the docs page without any external script or stylesheet', async () => {
    const t = await createTestApp()
    const html = await (await t.call('/docs', { token: null })).text()
    expect(html).toContain('/v1/publish/{topic}')
    expect(html).not.toMatch(/<script|https?:\/\/[^"]*\.(js|css)/)
  })
  it('answers unknown routes with a 404 problem', async () => {
    const t = await createTestApp()
    const res = await t.call('/v2/nothing')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
