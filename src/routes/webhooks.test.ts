import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeFetch } from '../testing/fake-fetch.js'
import { MemoryBus } from '../testing/memory-bus.js'
import { createTestApp } from '../testing/test-app.js'
import { startHarness, TEST_SECRET } from '../testing/webhook-harness.js'

const URL_A = 'http://192.168.1.20:8123/api/webhook/door'

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function setup(harnessOptions: Parameters<typeof startHarness>[0] = {}) {
  const bus = new MemoryBus()
  const h = await startHarness({ bus, ...harnessOptions })
  closers.push(() => h.dispatcher.close())
  const t = await createTestApp({ bus, webhooks: h.service })
  const json = (path: string, method: string, body: unknown, token?: string) =>
    t.call(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, ...(token ? { token } : {}) })
  return { ...h, ...t, json }
}

describe('/v1/webhooks', () => {
  it('creates a webhook: 201 with its id, location and the secret shown once', async () => {
    const t = await setup()
    const res = await t.json('/v1/webhooks', 'POST', { filter: 'home/door/+', url: URL_A, headers: { Authorization: 'Bearer x' } })
    expect(res.status).toBe(201)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      filter: 'home/door/+',
      url: URL_A,
      enabled: true,
      source: 'api',
      headerNames: ['Authorization'],
      pending: 0,
      dead: 0,
    })
    expect(body.id).toMatch(/^wh_/)
    expect(body.secret).toMatch(/^whsec_/)
    expect(res.headers.get('location')).toBe(`/v1/webhooks/${body.id}`)
    const listed = JSON.stringify(await (await t.call('/v1/webhooks')).json())
    expect(listed).toContain(String(body.id))
    expect(listed).not.toContain(String(body.secret))
    expect(listed).not.toContain('Bearer x')
    expect(t.log.text()).not.toContain(String(body.secret))
  })

  it('keeps a secret given by the caller', async () => {
    const t = await setup()
    const res = await t.json('/v1/webhooks', 'POST', { filter: 'a', url: URL_A, secret: TEST_SECRET })
    expect(((await res.json()) as { secret: string }).secret).toBe(TEST_SECRET)
  })

  it.each([
    [{ filter: 'a', url: 'ftp://example.com/x' }, 40008, 'http or https'],
    [{ filter: 'a', url: 'not a url' }, 40008, 'absolute URL'],
    [{ filter: 'a/#/b', url: URL_A }, 40001, "'#' must be the whole last level"],
    [{ filter: 'a', url: URL_A, colour: 'red' }, 40001, 'unknown field(s) "colour"'],
    [{ filter: 'a', url: URL_A, secret: 'hunter2' }, 40001, 'whsec_'],
    [{ filter: 'a', url: URL_A, headers: { 'webhook-id': 'x' } }, 40001, 'set by Postbridge'],
    [{ filter: 'a', url: 'http://127.0.0.1:9000/x' }, 40009, 'loopback'],
    [{ filter: 'a', url: 'http://169.254.169.254/latest' }, 40009, 'link-local'],
    [{ url: URL_A }, 40001, 'filter'],
  ])('refuses %j with 400 and stores nothing', async (body, code, detail) => {
    const t = await setup({ config: { allowPrivate: false } })
    const res = await t.json('/v1/webhooks', 'POST', body)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await res.json()) as { code: number; detail: string }
    expect(problem.code).toBe(code)
    expect(problem.detail).toContain(detail)
    expect(await t.store.listWebhooks()).toEqual([])
  })

  it('lets a token create hooks only for filters its read scope covers, and shows it only those', async () => {
    const t = await setup()
    const reader = await t.mint({ read: ['home/#'] })
    expect((await t.json('/v1/webhooks', 'POST', { filter: 'garage/#', url: URL_A }, reader)).status).toBe(403)
    expect((await t.json('/v1/webhooks', 'POST', { filter: 'home/door/#', url: URL_A }, reader)).status).toBe(201)
    const other = (await (await t.json('/v1/webhooks', 'POST', { filter: 'garage/#', url: URL_A })).json()) as { id: string }
    const listed = (await (await t.call('/v1/webhooks', { token: reader })).json()) as { webhooks: { filter: string }[] }
    expect(listed.webhooks.map((w) => w.filter)).toEqual(['home/door/#'])
    expect((await t.call(`/v1/webhooks/${other.id}`, { token: reader })).status).toBe(404)
    expect((await t.call(`/v1/webhooks/${other.id}`, { method: 'DELETE', token: reader })).status).toBe(404)
    expect((await t.call(`/v1/webhooks/${other.id}`)).status).toBe(200)
  })

  it('changes only the fields given, and refuses a filter outside the token scope', async () => {
    const t = await setup()
    const reader = await t.mint({ read: ['home/#'] })
    const { id } = (await (await t.json('/v1/webhooks', 'POST', { filter: 'home/a', url: URL_A }, reader)).json()) as { id: string }
    const res = await t.json(`/v1/webhooks/${id}`, 'PATCH', { enabled: false, url: 'http://192.168.1.21/x' }, reader)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id, filter: 'home/a', url: 'http://192.168.1.21/x', enabled: false })
    expect((await t.json(`/v1/webhooks/${id}`, 'PATCH', { filter: 'garage/#' }, reader)).status).toBe(403)
    expect((await t.json(`/v1/webhooks/${id}`, 'PATCH', { url: 'gopher://x' }, reader)).status).toBe(400)
    expect((await t.json(`/v1/webhooks/${id}`, 'PATCH', { colour: 'red' }, reader)).status).toBe(400)
    expect((await t.json(`/v1/webhooks/${id}`, 'PATCH', { filter: 'home/#/x' }, reader)).status).toBe(400)
    expect((await t.store.getWebhook(id))?.url).toBe('http://192.168.1.21/x')
  })

  it('deletes a webhook: 204, then 404', async () => {
    const t = await setup()
    const { id } = (await (await t.json('/v1/webhooks', 'POST', { filter: 'a', url: URL_A })).json()) as { id: string }
    expect((await t.call(`/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await t.call(`/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(404)
    expect((await t.call(`/v1/webhooks/${id}`)).status).toBe(404)
  })

  it('refuses to change or delete what the config file declares, except enabled and secret', async () => {
    const t = await setup({ config: { hooks: [{ id: 'ha', filter: 'home/#', url: URL_A }] } })
    const patch = await t.json('/v1/webhooks/ha', 'PATCH', { url: 'http://192.168.1.9/' })
    expect(patch.status).toBe(409)
    expect(((await patch.json()) as { code: number }).code).toBe(40902)
    expect((await t.call('/v1/webhooks/ha', { method: 'DELETE' })).status).toBe(409)
    expect((await t.json('/v1/webhooks/ha', 'PATCH', { enabled: false, secret: TEST_SECRET })).status).toBe(200)
    expect(await t.store.getWebhook('ha')).toMatchObject({ enabled: false, secret: TEST_SECRET, url: URL_A })
  })

  it('delivers a message published with POST /v1/publish and lists the attempt', async () => {
    const fake = new FakeFetch(() => 204)
    const t = await setup({ fetch: fake })
    const { id, secret } = (await (await t.json('/v1/webhooks', 'POST', { filter: 'home/#', url: URL_A })).json()) as { id: string; secret: string }
    expect((await t.json('/v1/publish', 'POST', { topic: 'home/door', payload: 'open' })).status).toBe(200)
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1))
    expect(new Webhook(secret).verify(fake.requests[0]!.body, fake.requests[0]!.headers)).toMatchObject({ topic: 'home/door', payload: 'open' })
    await vi.waitFor(async () => {
      const { deliveries } = (await (await t.call(`/v1/webhooks/${id}/deliveries`)).json()) as { deliveries: Record<string, unknown>[] }
      expect(deliveries).toHaveLength(1)
      expect(deliveries[0]).toMatchObject({ topic: 'home/door', attempt: 1, status: 204, outcome: 'delivered' })
      expect(typeof deliveries[0]!.durationMs).toBe('number')
      expect(new Date(String(deliveries[0]!.at)).toISOString()).toBe(deliveries[0]!.at)
    })
  })

  it('tests a webhook and replays its dead messages', async () => {
    let up = false
    const fake = new FakeFetch(() => (up ? 200 : 503))
    const t = await setup({ fetch: fake, config: { maxAttempts: 1 } })
    const { id } = (await (await t.json('/v1/webhooks', 'POST', { filter: 'a', url: URL_A })).json()) as { id: string }
    expect(await (await t.call(`/v1/webhooks/${id}/test`, { method: 'POST' })).json()).toMatchObject({ ok: false, status: 503 })
    await t.publish('a')
    await vi.waitFor(async () => expect(await (await t.call(`/v1/webhooks/${id}`)).json()).toMatchObject({ dead: 1, pending: 0 }))
    const dead = (await (await t.call(`/v1/webhooks/${id}/deliveries?outcome=dead`)).json()) as { deliveries: unknown[] }
    expect(dead.deliveries).toHaveLength(1)
    up = true
    expect(await (await t.call(`/v1/webhooks/${id}/replay`, { method: 'POST' })).json()).toEqual({ requeued: 1 })
    await vi.waitFor(async () => expect(await (await t.call(`/v1/webhooks/${id}`)).json()).toMatchObject({ dead: 0, pending: 0 }))
  })

  it('answers 404 for an unknown id on every sub-resource', async () => {
    const t = await setup()
    for (const [method, path] of [
      ['GET', '/v1/webhooks/wh_nope'],
      ['PATCH', '/v1/webhooks/wh_nope'],
      ['GET', '/v1/webhooks/wh_nope/deliveries'],
      ['POST', '/v1/webhooks/wh_nope/test'],
      ['POST', '/v1/webhooks/wh_nope/replay'],
    ] as const) {
      const res = method === 'PATCH' ? await t.json(path, method, { enabled: true }) : await t.call(path, { method })
      expect(res.status, `${method} ${path}`).toBe(404)
    }
  })

  it('requires a bearer token', async () => {
    const t = await setup()
    expect((await t.call('/v1/webhooks', { token: null })).status).toBe(401)
  })

  it('answers 501 where the runtime has no webhooks', async () => {
    const t = await createTestApp({})
    const res = await t.call('/v1/webhooks')
    expect(res.status).toBe(501)
    expect(((await res.json()) as { code: number }).code).toBe(50101)
  })

  it('describes every webhook route in the OpenAPI document', async () => {
    const t = await setup()
    const yaml = await t.app.openApiYaml()
    for (const path of [
      '/v1/webhooks:',
      '/v1/webhooks/{id}:',
      '/v1/webhooks/{id}/deliveries:',
      '/v1/webhooks/{id}/test:',
      '/v1/webhooks/{id}/replay:',
    ])
      expect(yaml).toContain(path)
  })
})
