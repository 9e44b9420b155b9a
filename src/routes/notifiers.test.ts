import { describe, expect, it } from 'vitest'
import { startNotifyHarness } from '../testing/notify-harness.js'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function setup(env: Record<string, string> = {}) {
  const h = await startNotifyHarness({ env })
  const t = await createTestApp({ notify: h.service })
  return { ...t, h }
}

describe('/v1/notifiers', () => {
  it('creates each provider type and never shows a plain secret again', async () => {
    const t = await setup({ POSTBRIDGE_SECRET_TG: 'x' })
    const bodies = [
      { id: 'n', type: 'ntfy', server: 'https://ntfy.sh', topic: 'doors', token: 'tk_secret' },
      { id: 'g', type: 'gotify', server: 'http://gotify.lan', token: 'gotify-secret' },
      { id: 'p', type: 'pushover', appToken: 'app-secret', userKey: 'user-secret' },
      { id: 't', type: 'telegram', botToken: 'env:POSTBRIDGE_SECRET_TG', chatId: 42 },
      { id: 'w', type: 'webhook', url: 'http://hooks.lan/x', secret: `whsec_${btoa('k'.repeat(32))}` },
    ]
    for (const b of bodies) expect((await t.call('/v1/notifiers', json(b))).status).toBe(201)
    const text = await (await t.call('/v1/notifiers')).text()
    for (const secret of ['tk_secret', 'gotify-secret', 'app-secret', 'user-secret', 'whsec_']) expect(text).not.toContain(secret)
    const { notifiers } = JSON.parse(text) as { notifiers: Record<string, unknown>[] }
    expect(notifiers.find((n) => n.id === 't')).toMatchObject({
      botToken: 'env:POSTBRIDGE_SECRET_TG',
      chatId: 42,
      apiBase: 'https://api.telegram.org',
      source: 'api',
    })
    expect(notifiers.find((n) => n.id === 'p')).toMatchObject({ appToken: '********', apiBase: 'https://api.pushover.net', rateLimit: 20 })
    expect(t.log.text()).not.toContain('gotify-secret')
  })

  it.each([
    [{ id: 'x', type: 'sms', number: '123' }, 'type: unknown notifier type'],
    [{ id: 'x', type: 'gotify', server: 'http://gotify.lan' }, 'token: required'],
    [{ id: 'x', type: 'telegram', chatId: 1 }, 'botToken'],
    [{ id: 'x', type: 'ntfy', server: 'ftp://ntfy.lan', topic: 'doors' }, 'server: must be an http(s) URL'],
    [
      { id: 'x', type: 'gotify', server: 'http://gotify.lan', token: 'env:POSTBRIDGE_SECRET_MISSING' },
      'token: environment variable POSTBRIDGE_SECRET_MISSING is not set',
    ],
    // An API caller must not be able to send the host's other variables (the admin token...) to a server of theirs.
    [
      { id: 'x', type: 'ntfy', server: 'https://ntfy.sh', topic: 'mine', token: 'env:POSTBRIDGE_ADMIN_TOKEN' },
      'token: environment variable POSTBRIDGE_ADMIN_TOKEN may not be read',
    ],
    [{ id: 'x', type: 'webhook', url: 'http://hooks.lan', secret: 'hunter2' }, 'secret: secret must start with "whsec_"'],
    // The same rule as webhook secrets (Standard Webhooks: keys of 24 to 64 bytes).
    [{ id: 'x', type: 'webhook', url: 'http://hooks.lan', secret: `whsec_${btoa('short')}` }, 'secret: secret key must be 24 to 64 bytes'],
    [{ id: 'x', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors', rateLimit: 0 }, 'rateLimit'],
  ])('answers 400 problem+json for a bad notifier (%#)', async (body, detail) => {
    const t = await setup()
    const res = await t.call('/v1/notifiers', json(body))
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(((await res.json()) as { detail: string }).detail).toContain(detail)
  })

  it('tests a notifier and reports what the provider answered, then lists the attempt', async () => {
    const t = await setup()
    await t.call('/v1/notifiers', json({ id: 'n', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' }))
    const res = await t.call('/v1/notifiers/n/test', { method: 'POST' })
    expect(await res.json()).toEqual({ ok: true, status: 200, retryable: false })
    expect(t.h.http.bodies[0]).toMatchObject({ topic: 'doors', title: 'Postbridge test alert' })
    t.h.http.answer = () => 401
    expect(await (await t.call('/v1/notifiers/n/test', { method: 'POST' })).json()).toMatchObject({ ok: false, status: 401 })
    const { deliveries } = (await (await t.call('/v1/notifiers/n/deliveries')).json()) as { deliveries: { outcome: string; ok: boolean }[] }
    expect(deliveries.map((d) => [d.outcome, d.ok])).toEqual([
      ['test', false],
      ['test', true],
    ])
  })

  it('is admin only', async () => {
    const t = await setup()
    const reader = await t.mint({ read: ['#'] })
    expect((await t.call('/v1/notifiers', { token: reader })).status).toBe(403)
    expect((await t.call('/v1/notifiers', { ...json({ id: 'n', type: 'ntfy', server: 'http://a', topic: 'b' }), token: reader })).status).toBe(403)
  })

  it('refuses to delete a notifier in use, then deletes it once unused', async () => {
    const t = await setup()
    await t.call('/v1/notifiers', json({ id: 'n', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' }))
    await t.call('/v1/sensors', json({ id: 's', name: 'Door', topic: 'a/b', notify: ['n'] }))
    const res = await t.call('/v1/notifiers/n', { method: 'DELETE' })
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ code: 40904, sensors: ['s'] })
    await t.call('/v1/sensors/s', { method: 'DELETE' })
    expect((await t.call('/v1/notifiers/n', { method: 'DELETE' })).status).toBe(204)
  })
})
