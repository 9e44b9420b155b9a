import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

/** The app's routes under `prefix`, as Hono lists them (middleware, the groups' placeholders among them, left out). */
const routesUnder = (app: { routes: { method: string; path: string }[] }, prefix: string) =>
  app.routes.filter((r) => r.method !== 'ALL' && (r.path === prefix || r.path.startsWith(`${prefix}/`))).map((r) => `${r.method} ${r.path}`)

describe('lazily loaded route groups', () => {
  it('mount on the first request under their path, which they answer like any later one', async () => {
    const t = await createTestApp()
    expect(routesUnder(t.app, '/v1/tokens')).toEqual([])
    const first = await t.call('/v1/tokens')
    expect(first.status).toBe(200)
    expect(await first.text()).toContain('"name":"admin"')
    expect(routesUnder(t.app, '/v1/tokens')).not.toEqual([])
    expect(routesUnder(t.app, '/v1/backup')).toEqual([])
    expect((await t.call('/v1/tokens')).status).toBe(200)
  })

  it('validate the first request as every other', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/tokens', json({ name: 'x', scopes: [] }))
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.text()).toContain('unknown field(s) \\"scopes\\"')
    expect((await (await t.call('/v1/tokens')).text()).match(/"name"/g)).toHaveLength(1)
  })

  it('refuse a first request without a valid token with 401, then serve the same route to a token', async () => {
    const t = await createTestApp()
    for (const token of [null, 'pb_not-a-token']) {
      const res = await t.call('/v1/mqtt-users', { token })
      expect(res.status).toBe(401)
      expect(((await res.json()) as { code: number }).code).toBe(40101)
    }
    expect((await t.call('/v1/mqtt-users')).status).not.toBe(401)
  })

  it('are counted once, under their route, for the request that mounts them', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/tokens')).status).toBe(200)
    const counted = t.deps.metrics
      .render([])
      .split('\n')
      .filter((line) => line.startsWith('postbridge_http_requests_total'))
    expect(counted).toEqual(['postbridge_http_requests_total{route="/v1/tokens",method="GET",status="200"} 1'])
  })

  it('leave an unknown path a 404, under a lazy group or outside every group', async () => {
    const t = await createTestApp()
    for (const path of ['/v1/tokens/a/b/c', '/v1/tokensx', '/v1/nothing-here']) {
      const res = await t.call(path)
      expect(res.status, path).toBe(404)
      expect(await res.text(), path).toContain('no such route')
    }
    expect(routesUnder(t.app, '/v1/nothing-here')).toEqual([])
  })

  it('load nothing for a path that only starts like theirs', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/tokensx')).status).toBe(404)
    expect(routesUnder(t.app, '/v1/tokens')).toEqual([])
  })

  it('mount once when first requests come together', async () => {
    const t = await createTestApp()
    const answers = await Promise.all([t.call('/v1/clients'), t.call('/v1/clients'), t.call('/v1/clients')])
    expect(answers.map((r) => r.status)).toEqual([501, 501, 501]) // no client directory on these fakes: the route answered
    const once = await createTestApp()
    await once.call('/v1/clients')
    expect(routesUnder(t.app, '/v1/clients')).toEqual(routesUnder(once.app, '/v1/clients'))
  })

  it('are in the OpenAPI document before any request loads them', async () => {
    const t = await createTestApp()
    const yaml = await t.app.openApiYaml()
    for (const path of ['/v1/tokens:', '/v1/backup:', '/v1/sensors/{id}/events:', '/v1/whoami:']) expect(yaml).toContain(`  ${path}`)
    expect(routesUnder(t.app, '/v1/backup')).toEqual([])
  })
})
