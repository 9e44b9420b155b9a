import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config.js'
import { createTestApp } from '../testing/test-app.js'

const ALLOWED = 'https://app.example.com'
const OTHER = 'https://evil.example.net'

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  token: null,
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
})

describe('CORS (http.cors.origins)', () => {
  it('answers a preflight from a listed origin without a token, allowing Authorization and Content-Type', async () => {
    const t = await createTestApp({}, { corsOrigins: [ALLOWED] })
    const res = await t.call('/v1/publish/home/a', preflight(ALLOWED))
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
    expect(res.headers.get('access-control-allow-methods')).toContain('POST')
    expect(res.headers.get('vary')).toContain('Origin')
  })

  it('gives a preflight from an origin not listed no CORS headers', async () => {
    const t = await createTestApp({}, { corsOrigins: [ALLOWED] })
    const res = await t.call('/v1/publish/home/a', preflight(OTHER))
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-allow-headers')).toBeNull()
    expect(t.bus.published).toHaveLength(0)
  })

  it('echoes a listed origin on a real request (and on its errors), and no other', async () => {
    const t = await createTestApp({}, { corsOrigins: [ALLOWED] })
    const ok = await t.call('/v1/publish/home/a', { method: 'POST', body: 'x', headers: { origin: ALLOWED } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(ok.headers.get('access-control-expose-headers')).toContain('Location')
    const denied = await t.call('/v1/publish/home/a', { method: 'POST', body: 'x', token: null, headers: { origin: ALLOWED } })
    expect(denied.status).toBe(401)
    expect(denied.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    const other = await t.call('/v1/publish/home/a', { method: 'POST', body: 'x', headers: { origin: OTHER } })
    expect(other.status).toBe(200)
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    expect(other.headers.get('vary')).toContain('Origin')
  })

  it('sends no CORS headers at all by default', async () => {
    const t = await createTestApp()
    const pre = await t.call('/v1/publish/home/a', preflight(ALLOWED))
    expect(pre.headers.get('access-control-allow-origin')).toBeNull()
    expect(pre.status).toBe(401)
    const res = await t.call('/v1/publish/home/a', { method: 'POST', body: 'x', headers: { origin: ALLOWED } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('reads http.cors.origins from the config file, none by default, and refuses what is not an origin', () => {
    expect(parseConfig({}, {}).http.cors.origins).toEqual([])
    expect(parseConfig({ http: { cors: { origins: [ALLOWED, 'http://192.168.1.5:3000'] } } }, {}).http.cors.origins).toEqual([
      ALLOWED,
      'http://192.168.1.5:3000',
    ])
    for (const bad of ['https://app.example.com/', 'app.example.com', 'ftp://x.example', '*']) {
      expect(() => parseConfig({ http: { cors: { origins: [bad] } } }, {}), bad).toThrow(/http\.cors\.origins/)
    }
  })
})
