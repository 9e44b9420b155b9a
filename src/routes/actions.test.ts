import { describe, expect, it } from 'vitest'
import { ActionService } from '../notify/actions.js'
import { MemoryActionStore } from '../testing/memory-action-store.js'
import { RecordingLogger } from '../testing/recording-logger.js'
import { createTestApp } from '../testing/test-app.js'

async function setup() {
  const t = await createTestApp()
  const service = new ActionService({
    store: new MemoryActionStore(),
    bus: t.bus,
    now: Date.now,
    log: new RecordingLogger(),
    publicUrl: 'http://pi',
    ttlMs: 60_000,
  })
  t.deps.actions = service
  const published: string[] = []
  await t.bus.subscribe(['#'], (m) => published.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`))
  const spec = { label: 'Porch <light>', topic: 'home/porch/set', payload: 'ON', qos: 1 as const, retain: false, on: ['opened' as const] }
  const [action] = await service.issue('back', [spec], 'opened', 'a1')
  return { t, published, path: `/v1/actions/${action!.token}` }
}

describe('/v1/actions/{token}', () => {
  it('publishes once on POST without a bearer token, then answers 410', async () => {
    const { t, published, path } = await setup()
    const res = await t.call(path, { method: 'POST', token: null })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, label: 'Porch <light>', topic: 'home/porch/set' })
    const again = await t.call(path, { method: 'POST', token: null })
    expect(again.status).toBe(410)
    expect(((await again.json()) as { code: number }).code).toBe(41001)
    expect(published).toEqual(['home/porch/set ON'])
  })

  it('shows a page on GET that changes nothing and escapes the label', async () => {
    const { t, published, path } = await setup()
    const res = await t.call(path, { token: null })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('<form method="post">')
    expect(html).toContain('Porch &#60;light&#62;')
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(published).toEqual([])
    // The form's POST from a browser gets a page back.
    const done = await t.call(path, { method: 'POST', token: null, headers: { accept: 'text/html' } })
    expect(await done.text()).toContain('Done: Porch &#60;light&#62;')
  })

  it('answers 404 for an unknown token and 400 for a malformed one', async () => {
    const { t } = await setup()
    expect((await t.call('/v1/actions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { method: 'POST', token: null })).status).toBe(404)
    expect((await t.call('/v1/actions/bad!token', { method: 'POST', token: null })).status).toBe(400)
  })

  it('answers 501 where alert buttons are not served', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/actions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { method: 'POST', token: null })).status).toBe(501)
  })
})
