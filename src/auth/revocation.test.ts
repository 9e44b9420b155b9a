/** Revoking a token ends what it started: streams, request waits, webhooks (issue 10). Route level, on fakes. */
import { afterEach, describe, expect, it } from 'vitest'
import { FakeFetch } from '../testing/fake-fetch.js'
import { MemoryBus } from '../testing/memory-bus.js'
import { createTestApp } from '../testing/test-app.js'
import { startHarness } from '../testing/webhook-harness.js'
import { utf8 } from '../util/bytes.js'
import { createTokenWatch } from './revocation.js'

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function setup() {
  const bus = new MemoryBus()
  const h = await startHarness({ bus, fetch: new FakeFetch(() => 200) })
  closers.push(() => h.dispatcher.close())
  const t = await createTestApp({ bus, webhooks: h.service })
  t.deps.tokenWatch = createTokenWatch({ tokens: t.tokens, webhooks: h.service, log: t.log })
  const user = await t.mint({ publish: ['home/#'], read: ['home/#'] }, 'user')
  const userId = /^pb_([A-Za-z0-9]{12})_/.exec(user)![1]!
  return { ...t, bus, h, user, userId }
}

/** Reads the whole event stream until the server ends it; the event names in order. */
async function eventsUntilEnd(res: Response): Promise<string[]> {
  const text = await new Response(res.body).text()
  return [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1]!)
}

describe('revoking a token', () => {
  it('ends its open event stream with a revoked event, leaving other streams open', async () => {
    const t = await setup()
    const stream = await t.call('/v1/subscribe?filter=home/%23', { token: t.user })
    const other = await t.call('/v1/subscribe?filter=home/%23')
    while (t.bus.subscriberCount < 2) await new Promise((r) => setTimeout(r, 5))
    const events = eventsUntilEnd(stream)
    expect((await t.call(`/v1/tokens/${t.userId}`, { method: 'DELETE' })).status).toBe(204)
    expect(await events).toEqual(['ready', 'revoked'])
    expect(t.bus.subscriberCount).toBe(1)
    await other.body!.cancel()
  })

  it('cuts the stream of a reader that does not read, rather than waiting on its pending write', async () => {
    const t = await setup()
    await t.call('/v1/subscribe?filter=home/%23', { token: t.user })
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    for (let i = 0; i < 20; i++) await t.bus.publish({ topic: 'home/x', payload: utf8(`m${i}`), qos: 0, retain: false })
    await t.call(`/v1/tokens/${t.userId}`, { method: 'DELETE' })
    for (let i = 0; i < 200 && t.bus.subscriberCount > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(t.bus.subscriberCount).toBe(0)
  })

  it('answers its pending request with 401 at once rather than at the timeout', async () => {
    const t = await setup()
    const started = Date.now()
    const pending = t.call('/v1/request/home/dev?timeout=2000', { method: 'POST', body: 'x', token: t.user })
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    await t.call(`/v1/tokens/${t.userId}`, { method: 'DELETE' })
    const res = await pending
    expect(res.status).toBe(401)
    expect(Date.now() - started).toBeLessThan(1500)
    expect(t.bus.subscriberCount).toBe(0)
  })

  it('disables its webhooks, which then deliver nothing, and keeps them disabled', async () => {
    const t = await setup()
    const res = await t.call('/v1/webhooks', {
      method: 'POST',
      token: t.user,
      body: JSON.stringify({ filter: 'home/#', url: 'http://192.168.1.20/x' }),
      headers: { 'content-type': 'application/json' },
    })
    const { id } = (await res.json()) as { id: string }
    await t.call(`/v1/tokens/${t.userId}`, { method: 'DELETE' })
    expect(await t.h.store.getWebhook(id)).toMatchObject({ enabled: false, disabledReason: 'revoked' })
    expect(await (await t.call(`/v1/webhooks/${id}`)).json()).toMatchObject({ enabled: false, disabledReason: 'revoked' })
    await t.bus.publish({ topic: 'home/door', payload: utf8('open'), qos: 1, retain: false })
    await new Promise((r) => setTimeout(r, 50))
    expect(t.h.fetch.requests).toHaveLength(0)
    const enable = await t.call(`/v1/webhooks/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ enabled: true }),
      headers: { 'content-type': 'application/json' },
    })
    expect(enable.status).toBe(409)
  })

  it('notices a revocation made behind its back (another process) at the next check', async () => {
    const t = await setup()
    const stream = await t.call('/v1/subscribe?filter=home/%23', { token: t.user })
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    const events = eventsUntilEnd(stream)
    await t.tokens.revoke(t.userId)
    await t.deps.tokenWatch!.check()
    expect(await events).toEqual(['ready', 'revoked'])
  })
})
