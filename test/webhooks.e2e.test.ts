/** Webhooks on a real home node: aedes broker, HTTP API, mosquitto_pub, and node:http receivers on loopback. */
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub } from './fixtures/mosquitto.js'
import { startReceiver, type Receiver } from './fixtures/receiver.js'

const homes: TestHome[] = []
const receivers: Receiver[] = []
afterEach(async () => {
  for (const h of homes.splice(0)) await h.stop()
  for (const r of receivers.splice(0)) await r.close()
})

/** Loopback receivers need allowPrivate; fast retries keep the tests short. */
async function home(webhooks: Record<string, unknown> = {}) {
  const h = await startTestHome({ webhooks: { allowPrivate: true, retryBase: '50ms', ...webhooks } })
  homes.push(h)
  return h
}

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args)
  receivers.push(r)
  return r
}

async function createHook(h: TestHome, body: Record<string, unknown>) {
  const res = await h.api('/v1/webhooks', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string; secret: string }
}

const publishHttp = (h: TestHome, topic: string, payload: string) =>
  h.api('/v1/publish', { method: 'POST', body: JSON.stringify({ topic, payload }), headers: { 'content-type': 'application/json' } })

describe('webhooks end to end', () => {
  it('delivers messages from mosquitto_pub and from POST /v1/publish, signed and in order', async () => {
    const h = await home()
    const r = await receiver()
    const { secret } = await createHook(h, { filter: 'house/+/state', url: r.url })
    expect((await mosquittoPub(h.mqttPort, 'house/door/state', 'open', ['-q', '1'])).code).toBe(0)
    expect((await publishHttp(h, 'house/door/state', 'closed')).status).toBe(200)
    expect((await mosquittoPub(h.mqttPort, 'house/door/battery', '3.7', ['-q', '1'])).code).toBe(0) // not matched
    expect((await mosquittoPub(h.mqttPort, 'house/window/state', '\u00e9t\u00e9', ['-q', '0'])).code).toBe(0)
    await waitFor(() => r.requests.length >= 3, 10_000, 'three deliveries')
    r.verifyAll(secret)
    expect(r.bodies().map((b) => [b.topic, b.payload, b.encoding])).toEqual([
      ['house/door/state', 'open', 'utf8'],
      ['house/door/state', 'closed', 'utf8'],
      ['house/window/state', 'été', 'utf8'],
    ])
    const first = r.requests[0]!
    expect(first.method).toBe('POST')
    expect(first.headers['content-type']).toBe('application/json')
    expect(JSON.parse(first.body)).toMatchObject({ id: first.headers['webhook-id'], qos: 1, retain: false, properties: {} })
  })

  it('states the retain flag as published and marks DELETE /v1/retained as cleared', async () => {
    const h = await home()
    const r = await receiver()
    await createHook(h, { filter: 'lamp/#', url: r.url })
    expect((await mosquittoPub(h.mqttPort, 'lamp/1', 'on', ['-q', '1', '-r'])).code).toBe(0)
    expect((await mosquittoPub(h.mqttPort, 'lamp/1', '', ['-q', '1'])).code).toBe(0)
    expect((await h.api('/v1/retained/lamp/1', { method: 'DELETE' })).status).toBe(204)
    await waitFor(() => r.requests.length >= 3, 10_000, 'three deliveries')
    const bodies = r.requests.map((q) => JSON.parse(q.body) as { payload: string; retain: boolean; cleared: boolean })
    expect(bodies.map((b) => [b.payload, b.retain, b.cleared])).toEqual([
      ['on', true, false],
      ['', false, false],
      ['', true, true],
    ])
  })

  it('retries a receiver that fails twice, keeping later messages behind the failing one', async () => {
    const h = await home()
    const r = await receiver((_req, i) => (i < 2 ? 503 : 200))
    const { id } = await createHook(h, { filter: 'seq/#', url: r.url })
    for (const n of ['1', '2', '3', '4']) expect((await mosquittoPub(h.mqttPort, `seq/${n}`, n, ['-q', '1'])).code).toBe(0)
    await waitFor(() => r.requests.length >= 6, 10_000, 'six requests')
    expect(r.bodies().map((b) => b.payload)).toEqual(['1', '1', '1', '2', '3', '4'])
    const ids = r.requests.slice(0, 3).map((q) => q.headers['webhook-id'])
    expect(new Set(ids).size).toBe(1) // the same message id on every retry
    const log = (await waitFor(
      async () => {
        const { deliveries } = (await (await h.api(`/v1/webhooks/${id}/deliveries`)).json()) as {
          deliveries: { attempt: number; status: number; outcome: string }[]
        }
        return deliveries.length >= 6 ? deliveries : undefined
      },
      5000,
      'attempt log',
    ))!
    expect(log.slice(-3).map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [3, 200, 'delivered'],
      [2, 503, 'retry'],
      [1, 503, 'retry'],
    ])
  })

  it('disables a webhook whose receiver answers 410 Gone', async () => {
    const h = await home()
    const r = await receiver(() => 410)
    const { id } = await createHook(h, { filter: 'gone/#', url: r.url })
    await mosquittoPub(h.mqttPort, 'gone/1', 'a', ['-q', '1'])
    const hook = (await waitFor(
      async () => {
        const body = (await (await h.api(`/v1/webhooks/${id}`)).json()) as { enabled: boolean; disabledReason?: string }
        return body.enabled ? undefined : body
      },
      10_000,
      'disabled',
    ))!
    expect(hook.disabledReason).toBe('gone')
    await mosquittoPub(h.mqttPort, 'gone/2', 'b', ['-q', '1'])
    await publishHttp(h, 'gone/3', 'c')
    // Something observable must happen after the publishes: a second hook on the same topics gets them.
    const witness = await receiver()
    await createHook(h, { filter: 'gone/#', url: witness.url })
    await publishHttp(h, 'gone/4', 'd')
    await waitFor(() => witness.requests.length >= 1, 10_000, 'witness')
    expect(r.requests).toHaveLength(1)
  })

  it('keeps delivering to one webhook while another receiver never answers', async () => {
    const h = await home()
    const stuck = await receiver(() => 'hang')
    const fine = await receiver()
    await createHook(h, { filter: 'both/#', url: stuck.url })
    await createHook(h, { filter: 'both/#', url: fine.url })
    for (let n = 1; n <= 5; n++) expect((await publishHttp(h, `both/${n}`, String(n))).status).toBe(200)
    await waitFor(() => fine.requests.length >= 5, 10_000, 'five deliveries to the healthy receiver')
    expect(fine.bodies().map((b) => b.payload)).toEqual(['1', '2', '3', '4', '5'])
    expect(stuck.requests).toHaveLength(1) // still waiting for its first answer
  })

  it('refuses a loopback URL unless webhooks.allowPrivate is set, and stores nothing', async () => {
    const h = await startTestHome({})
    homes.push(h)
    const res = await h.api('/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ filter: 'a', url: 'http://127.0.0.1:1/x' }),
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { code: number }).code).toBe(40009)
    expect(((await (await h.api('/v1/webhooks')).json()) as { webhooks: unknown[] }).webhooks).toEqual([])
  })

  it('delivers to webhooks declared in the config file, with the secret from the environment', async () => {
    const r = await receiver()
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo='
    process.env.PB_TEST_HOOK_SECRET = secret
    try {
      const h = await home({ hooks: [{ id: 'declared', filter: 'cfg/#', url: r.url, secretEnv: 'PB_TEST_HOOK_SECRET' }] })
      await mosquittoPub(h.mqttPort, 'cfg/x', 'hello', ['-q', '1'])
      await waitFor(() => r.requests.length >= 1, 10_000, 'delivery')
      r.verifyAll(secret)
      expect(((await (await h.api('/v1/webhooks/declared')).json()) as { source: string }).source).toBe('config')
    } finally {
      delete process.env.PB_TEST_HOOK_SECRET
    }
  })
})
