import { describe, expect, it } from 'vitest'
import type { DashboardAsset, DashboardAssets } from '../ports/dashboard.js'
import { createTestApp } from '../testing/test-app.js'
import { DASHBOARD_CSP } from './dashboard.js'

const bytes = (text: string) => new TextEncoder().encode(text)

function assets(files: Record<string, DashboardAsset>): DashboardAssets {
  return { get: (path) => files[path] }
}

const files = {
  'index.html': { body: bytes('<!doctype html><title>Postbridge</title>'), gzip: bytes('GZ-HTML'), contentType: 'text/html; charset=utf-8' },
  'ui/app.js': { body: bytes('export {}'), contentType: 'text/javascript; charset=utf-8' },
}

describe('the dashboard files at / and /ui/', () => {
  it('serves index.html at / without a token, with a CSP that allows this origin only', async () => {
    const t = await createTestApp({ dashboard: assets(files) })
    const res = await t.call('/', { token: null })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(DASHBOARD_CSP).toContain("connect-src 'self'")
    expect(DASHBOARD_CSP).toContain("script-src 'self';")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(await res.text()).toContain('<title>Postbridge</title>')
  })
  it('sends the gzipped bytes only to a client that accepts gzip', async () => {
    const t = await createTestApp({ dashboard: assets(files) })
    const gz = await t.app.request('/', { headers: { 'accept-encoding': 'gzip, br' } })
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect(new Uint8Array(await gz.arrayBuffer())).toEqual(bytes('GZ-HTML'))
    const plain = await t.app.request('/ui/app.js', { headers: { 'accept-encoding': 'gzip' } })
    expect(plain.headers.get('content-encoding')).toBeNull()
    expect(await plain.text()).toBe('export {}')
  })
  it('answers 404 problems for files it does not have, paths that climb out, and a runtime without a dashboard', async () => {
    const t = await createTestApp({ dashboard: assets(files) })
    for (const path of ['/ui/nope.js', '/ui/../package.json', '/ui/%2e%2e/package.json']) {
      const res = await t.app.request(path)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type')).toBe('application/problem+json')
    }
    const bare = await createTestApp()
    expect((await bare.app.request('/')).status).toBe(404)
  })
})

describe('GET /v1/whoami', () => {
  it("answers the token's own id, name and scope, without its hash", async () => {
    const t = await createTestApp()
    const token = await t.mint({ publish: ['home/+/set'], read: ['home/#'] }, 'tablet')
    const res = await t.call('/v1/whoami', { token })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toMatchObject({ name: 'tablet', scope: { publish: ['home/+/set'], read: ['home/#'], admin: false } })
    expect(Object.keys(body).sort()).toEqual(['id', 'name', 'scope'])
  })
  it('needs a valid token', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/whoami', { token: null })).status).toBe(401)
    expect((await t.call('/v1/whoami', { token: 'pb_nope' })).status).toBe(401)
  })
})
