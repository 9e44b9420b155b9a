/** Notifier URLs follow the webhook URL policy, with the same allowPrivate switch (issue 10). */
import { describe, expect, it } from 'vitest'
import { startNotifyHarness } from '../testing/notify-harness.js'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function setup(allowPrivate: boolean, notifiers: unknown[] = []) {
  const h = await startNotifyHarness({ notifiers, extra: { urlPolicy: { allowPrivate } } })
  const t = await createTestApp({ notify: h.service })
  return { ...t, h }
}

describe('notifier URLs', () => {
  it.each([
    [{ id: 'n', type: 'ntfy', server: 'http://127.0.0.1:8090', topic: 'doors' }, 'server: 127.0.0.1 is a loopback address'],
    [{ id: 'g', type: 'gotify', server: 'http://169.254.169.254/latest', token: 'x' }, 'server: 169.254.169.254 is a link-local address'],
    [{ id: 'p', type: 'pushover', appToken: 'a', userKey: 'u', apiBase: 'http://localhost:9000' }, 'apiBase: localhost is a loopback address'],
    [{ id: 't', type: 'telegram', botToken: 'b', chatId: 1, apiBase: 'http://[::1]:8081' }, 'apiBase: ::1 is a loopback address'],
    [{ id: 'w', type: 'webhook', url: 'http://0.0.0.0:8080/x' }, 'url: 0.0.0.0 is a unspecified address'],
  ])('refuses %j with 400 when made through the API, storing nothing', async (body, detail) => {
    const t = await setup(false)
    const res = await t.call('/v1/notifiers', json(body))
    expect(res.status).toBe(400)
    const problem = (await res.json()) as { code: number; detail: string }
    expect(problem.code).toBe(40009)
    expect(problem.detail).toContain(detail)
    expect(await t.h.notifierStore.list()).toEqual([])
  })

  it('refuses a loopback URL on replace too', async () => {
    const t = await setup(false)
    expect((await t.call('/v1/notifiers', json({ id: 'n', type: 'ntfy', server: 'https://ntfy.sh', topic: 'doors' }))).status).toBe(201)
    expect((await t.call('/v1/notifiers/n', json({ id: 'n', type: 'ntfy', server: 'http://127.0.0.1/', topic: 'doors' }, 'PUT'))).status).toBe(400)
  })

  it('accepts LAN and public URLs, and loopback with allowPrivate (a self-hosted ntfy on the Pi)', async () => {
    const strict = await setup(false)
    expect((await strict.call('/v1/notifiers', json({ id: 'lan', type: 'ntfy', server: 'http://192.168.1.5', topic: 'doors' }))).status).toBe(201)
    const open = await setup(true)
    expect((await open.call('/v1/notifiers', json({ id: 'pi', type: 'ntfy', server: 'http://127.0.0.1:8090', topic: 'doors' }))).status).toBe(201)
  })

  it('checks again before sending: a refused URL from the config file sends nothing', async () => {
    const t = await setup(false, [{ id: 'local', type: 'ntfy', server: 'http://127.0.0.1:8090', topic: 'doors' }])
    const res = await t.call('/v1/notifiers/local/test', { method: 'POST' })
    expect(res.status).toBe(200)
    const result = (await res.json()) as { ok: boolean; error: string }
    expect(result.ok).toBe(false)
    expect(result.error).toContain('loopback')
    expect(t.h.http.requests).toEqual([])
  })
})
