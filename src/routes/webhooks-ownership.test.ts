import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeFetch } from '../testing/fake-fetch.js'
import { MemoryBus } from '../testing/memory-bus.js'
import { createTestApp } from '../testing/test-app.js'
import { startHarness, TEST_SECRET } from '../testing/webhook-harness.js'

const URL_A = 'http://192.168.1.20:8123/api/webhook/door'
const URL_EVIL = 'http://192.168.1.66/steal'

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function setup() {
  const bus = new MemoryBus()
  const fetch = new FakeFetch(() => 200)
  const h = await startHarness({ bus, fetch })
  closers.push(() => h.dispatcher.close())
  const t = await createTestApp({ bus, webhooks: h.service })
  const json = (path: string, method: string, body: unknown, token?: string) =>
    t.call(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, ...(token ? { token } : {}) })
  return { ...h, ...t, json }
}

describe('webhook ownership (issue 10)', () => {
  it("answers 404 to a read-scoped token for every action on another token's webhook, and changes nothing", async () => {
    const t = await setup()
    const { id } = (await (
      await t.json('/v1/webhooks', 'POST', { filter: 'home/#', url: URL_A, headers: { Authorization: 'Bearer ha-token' } })
    ).json()) as { id: string }
    const before = await t.store.getWebhook(id)
    const reader = await t.mint({ read: ['#'] })
    const attempts: [string, string, unknown?][] = [
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`, { url: URL_EVIL }],
      ['PATCH', `/v1/webhooks/${id}`, { secret: TEST_SECRET }],
      ['DELETE', `/v1/webhooks/${id}`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
      ['POST', `/v1/webhooks/${id}/test`],
      ['POST', `/v1/webhooks/${id}/replay`],
    ]
    for (const [method, path, body] of attempts) {
      const res = body ? await t.json(path, method, body, reader) : await t.call(path, { method, token: reader })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    const listed = (await (await t.call('/v1/webhooks', { token: reader })).json()) as { webhooks: unknown[] }
    expect(listed.webhooks).toEqual([])
    expect(await t.store.getWebhook(id)).toEqual(before)
    expect(t.fetch.requests).toHaveLength(0)
  })

  it('lets admins see and manage every webhook, and a token its own', async () => {
    const t = await setup()
    const reader = await t.mint({ read: ['home/#'] })
    const { id } = (await (await t.json('/v1/webhooks', 'POST', { filter: 'home/a', url: URL_A }, reader)).json()) as { id: string }
    expect((await t.call(`/v1/webhooks/${id}`, { token: reader })).status).toBe(200)
    const listed = (await (await t.call('/v1/webhooks')).json()) as { webhooks: { id: string }[] }
    expect(listed.webhooks.map((w) => w.id)).toEqual([id])
    expect(JSON.stringify(listed)).not.toContain('owner')
    expect((await t.json(`/v1/webhooks/${id}`, 'PATCH', { enabled: false })).status).toBe(200)
    expect((await t.call(`/v1/webhooks/${id}`, { method: 'DELETE', token: reader })).status).toBe(204)
  })

  it('drops the stored headers and secret when the URL changes, so a test to the new URL carries neither', async () => {
    const t = await setup()
    const created = (await (
      await t.json('/v1/webhooks', 'POST', { filter: 'home/#', url: URL_A, secret: TEST_SECRET, headers: { Authorization: 'Bearer ha-token' } })
    ).json()) as { id: string }
    const res = await t.json(`/v1/webhooks/${created.id}`, 'PATCH', { url: URL_EVIL })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { headerNames: string[]; secret?: string }
    expect(body.headerNames).toEqual([])
    expect(body.secret).toMatch(/^whsec_/)
    expect(body.secret).not.toBe(TEST_SECRET)
    expect((await t.call(`/v1/webhooks/${created.id}/test`, { method: 'POST' })).status).toBe(200)
    await vi.waitFor(() => expect(t.fetch.requests).toHaveLength(1))
    expect(t.fetch.requests[0]!.url).toBe(URL_EVIL)
    expect(t.fetch.requests[0]!.headers.authorization).toBeUndefined()
    expect((await t.store.getWebhook(created.id))?.secret).toBe(body.secret)
  })

  it('keeps headers and secret sent again with the new URL, and keeps them when the URL does not change', async () => {
    const t = await setup()
    const { id } = (await (
      await t.json('/v1/webhooks', 'POST', { filter: 'a', url: URL_A, secret: TEST_SECRET, headers: { 'X-Key': '1' } })
    ).json()) as { id: string }
    const same = (await (await t.json(`/v1/webhooks/${id}`, 'PATCH', { url: URL_A, enabled: true })).json()) as Record<string, unknown>
    expect(same).toMatchObject({ headerNames: ['X-Key'] })
    expect(same.secret).toBeUndefined()
    const moved = (await (
      await t.json(`/v1/webhooks/${id}`, 'PATCH', { url: URL_EVIL, secret: TEST_SECRET, headers: { 'X-Key': '2' } })
    ).json()) as Record<string, unknown>
    expect(moved).toMatchObject({ headerNames: ['X-Key'] })
    expect(moved.secret).toBeUndefined()
    expect(await t.store.getWebhook(id)).toMatchObject({ url: URL_EVIL, secret: TEST_SECRET, headers: { 'X-Key': '2' } })
  })

  it('never returns a stored secret or header value after creation, whatever the route', async () => {
    const t = await setup()
    const { id } = (await (
      await t.json('/v1/webhooks', 'POST', { filter: 'a', url: URL_A, secret: TEST_SECRET, headers: { Authorization: 'Bearer ha-token' } })
    ).json()) as { id: string }
    const answers = [
      await t.call('/v1/webhooks'),
      await t.call(`/v1/webhooks/${id}`),
      await t.json(`/v1/webhooks/${id}`, 'PATCH', { enabled: false, secret: TEST_SECRET, headers: { Authorization: 'Bearer ha-token-2' } }),
      await t.json(`/v1/webhooks/${id}`, 'PATCH', { url: URL_EVIL, secret: TEST_SECRET, headers: { Authorization: 'Bearer ha-token-3' } }),
      await t.call(`/v1/webhooks/${id}/deliveries`),
    ]
    for (const res of answers) {
      const text = await res.text()
      expect(res.status, text).toBe(200)
      for (const secret of [TEST_SECRET, 'ha-token']) expect(text).not.toContain(secret)
    }
  })
})
