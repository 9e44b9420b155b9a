import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

describe('GET /v1/health: public liveness, details behind a token (issue 10)', () => {
  it('shows only ok/degraded without a token, and the details to any valid token', async () => {
    const t = await createTestApp({ health: () => ({ store: { path: '/srv/postbridge/data' }, edge: { url: 'https://edge.example' } }) })
    expect(await (await t.call('/v1/health', { token: null })).json()).toEqual({ status: 'ok' })
    const reader = await t.mint({ read: ['home/#'] })
    const detailed = (await (await t.call('/v1/health', { token: reader })).json()) as Record<string, unknown>
    expect(detailed).toMatchObject({ status: 'ok', broker: { kind: 'memory', connected: true }, store: { path: '/srv/postbridge/data' } })
  })

  it('says degraded (503) without a token when the broker is down, down with one', async () => {
    const t = await createTestApp()
    t.bus.status = () => ({ kind: 'memory', connected: false })
    const anonymous = await t.call('/v1/health', { token: null })
    expect(anonymous.status).toBe(503)
    expect(await anonymous.json()).toEqual({ status: 'degraded' })
    expect(await (await t.call('/v1/health')).json()).toMatchObject({ status: 'down', broker: { connected: false } })
  })

  it('says degraded when a feature reports it, without naming the feature', async () => {
    const t = await createTestApp({ health: () => ({ status: 'degraded', link: { home: 'offline' } }) })
    expect(await (await t.call('/v1/health', { token: null })).json()).toEqual({ status: 'degraded' })
  })

  it('refuses a token that is not valid with 401 rather than hiding it', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/health', { token: 'pb_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' })).status).toBe(401)
  })
})
