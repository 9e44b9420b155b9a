import { describe, expect, it } from 'vitest'
import { FakeFetch } from '../testing/fake-fetch.js'
import { deliverOnce } from './deliver.js'

const request = { url: 'https://example.com/hook', headers: { 'webhook-id': 'msg_1', 'X-Extra': 'yes' }, body: '{"a":1}', timeoutMs: 5000 }

describe('deliverOnce', () => {
  it('POSTs the body as JSON with the given headers and succeeds on 2xx', async () => {
    const fake = new FakeFetch(() => 204)
    const result = await deliverOnce(fake.fetch, request, Date.now)
    expect(result).toMatchObject({ ok: true, status: 204 })
    expect(fake.requests[0]).toMatchObject({ url: request.url, body: '{"a":1}' })
    expect(fake.requests[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'msg_1', 'x-extra': 'yes' })
  })

  it.each([301, 400, 500, 503])('fails on %i with the status', async (status) => {
    const result = await deliverOnce(new FakeFetch(() => status).fetch, request, Date.now)
    expect(result).toMatchObject({ ok: false, status })
    expect(result.gone).toBeUndefined()
  })

  it('flags 410 Gone', async () => {
    expect(await deliverOnce(new FakeFetch(() => 410).fetch, request, Date.now)).toMatchObject({ ok: false, status: 410, gone: true })
  })

  it('does not follow redirects, which could lead past the URL policy', async () => {
    let redirect: RequestRedirect | undefined
    const spy = (async (_url: string, init: RequestInit) => {
      redirect = init.redirect
      return new Response(null, { status: 302, headers: { location: 'http://127.0.0.1/' } })
    }) as unknown as typeof fetch
    expect(await deliverOnce(spy, request, Date.now)).toMatchObject({ ok: false, status: 302 })
    expect(redirect).toBe('manual')
  })

  it('reads Retry-After from a failure', async () => {
    const fake = new FakeFetch(() => new Response(null, { status: 429, headers: { 'retry-after': '120' } }))
    expect(await deliverOnce(fake.fetch, request, Date.now)).toMatchObject({ ok: false, status: 429, retryInMs: 120_000 })
  })

  it('reports a network error with its code', async () => {
    const result = await deliverOnce(new FakeFetch(() => 'network-error').fetch, request, Date.now)
    expect(result.ok).toBe(false)
    expect(result.error).toContain('ECONNREFUSED')
    expect(result.status).toBeUndefined()
  })

  it('fails with a timeout when the receiver never answers', async () => {
    const result = await deliverOnce(new FakeFetch(() => 'hang').fetch, { ...request, timeoutMs: 30 }, Date.now)
    expect(result).toMatchObject({ ok: false, error: 'timeout after 30 ms' })
  })

  it('fails with a timeout when the receiver sends headers and then stalls the body', async () => {
    const stalled = new FakeFetch(() => new Response(new ReadableStream({ start() {} }), { status: 200 }))
    expect(await deliverOnce(stalled.fetch, { ...request, timeoutMs: 30 }, Date.now)).toMatchObject({ ok: false, error: 'timeout after 30 ms' })
  })

  it('stops when the caller aborts', async () => {
    const controller = new AbortController()
    const pending = deliverOnce(new FakeFetch(() => 'hang').fetch, { ...request, signal: controller.signal }, Date.now)
    controller.abort()
    expect(await pending).toMatchObject({ ok: false, error: 'aborted: shutting down' })
  })

  it('measures the duration with the injected clock', async () => {
    let t = 100
    const result = await deliverOnce(
      new FakeFetch(() => {
        t += 42
        return 200
      }).fetch,
      request,
      () => t,
    )
    expect(result.durationMs).toBe(42)
  })
})
