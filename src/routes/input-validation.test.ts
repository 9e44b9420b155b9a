/** Every input is valid or refused (issue 10): the 400s, and answers that stay valid whatever was published. */
import { describe, expect, it } from 'vitest'
import { FakeFetch } from '../testing/fake-fetch.js'
import { MemoryBus } from '../testing/memory-bus.js'
import { mqtt5Responder } from '../testing/mqtt5-responder.js'
import { createTestApp } from '../testing/test-app.js'
import { startHarness } from '../testing/webhook-harness.js'
import { utf8 } from '../util/bytes.js'

const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function problemOf(res: Response): Promise<{ status: number; code: number; detail: string }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return { status: res.status, ...((await res.json()) as { code: number; detail: string }) }
}

describe('content types that are not header values', () => {
  const BAD_TYPES = ['text/plain\r\nSet-Cookie: a=b', 'text/plain\u0000', 'text/plain; name=café☕', 'not a media type']

  it.each(BAD_TYPES)('serves a retained payload published with content type %j as application/octet-stream', async (contentType) => {
    const t = await createTestApp()
    // As an MQTT 5 device would publish it: the broker carries the property as it came.
    await t.bus.publish({ topic: 'home/x', payload: utf8('<script>alert(1)</script>'), qos: 1, retain: true, properties: { contentType } })
    const raw = await t.call('/v1/retained/home/x')
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('application/octet-stream')
    expect(await raw.text()).toBe('<script>alert(1)</script>')
    const envelope = await t.call('/v1/retained/home/x', { headers: { accept: 'application/json' } })
    expect(((await envelope.json()) as { properties: { contentType: string } }).properties.contentType).toBe(contentType)
  })

  it('serves a request reply with a content type holding CRLF as bytes, not a 500', async () => {
    const t = await createTestApp()
    await mqtt5Responder(t.bus, 'dev/cmd', 'pong', { contentType: 'text/html\r\nX-Evil: 1' })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('x-evil')).toBeNull()
  })

  it('publishes a CRLF content type given in a JSON envelope, then reads it back as bytes', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish', json({ topic: 'home/y', payload: 'hi', retain: true, properties: { contentType: 'a/b\r\nc: d' } }))
    expect(res.status).toBe(200)
    expect((await t.call('/v1/retained/home/y')).headers.get('content-type')).toBe('application/octet-stream')
  })

  it('answers every raw payload with nosniff and a sandboxing Content-Security-Policy, keeping a valid content type', async () => {
    const t = await createTestApp()
    await t.bus.publish({
      topic: 'home/page',
      payload: utf8('<h1>hi</h1>'),
      qos: 1,
      retain: true,
      properties: { contentType: 'text/html; charset=utf-8' },
    })
    const res = await t.call('/v1/retained/home/page')
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox")
  })
})

describe('refused with 400 problem+json, changing nothing', () => {
  it.each([
    ['NUL in contentType', { contentType: 'text/plain\u0000' }],
    ['NUL in a user property value', { userProperties: { a: 'x\u0000y' } }],
    ['NUL in one of a user property values', { userProperties: { a: ['ok', 'x\u0000'] } }],
    ['NUL in a user property name', { userProperties: { 'a\u0000': 'x' } }],
    ['a lone surrogate in a user property', { userProperties: { a: '\ud800' } }],
    ['NUL in responseTopic', { responseTopic: 'r\u0000' }],
  ])('%s', async (_what, properties) => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish', json({ topic: 'home/z', payload: 'x', properties }))
    expect((await problemOf(res)).status).toBe(400)
    expect(t.bus.published).toHaveLength(0)
  })

  it.each(['/v1/publish/home/%FF/set', '/v1/publish/home/%ED%A0%80/set', '/v1/publish/%C3'])(
    'a topic that is not UTF-8 once percent-decoded: %s',
    async (path) => {
      const t = await createTestApp()
      const problem = await problemOf(await t.call(path, { method: 'POST', body: 'x' }))
      expect(problem).toMatchObject({ status: 400, code: 40002 })
      expect(t.bus.published).toHaveLength(0)
    },
  )

  it.each([
    ['GET', '/v1/retained/home/%FF'],
    ['DELETE', '/v1/retained/home/%FF'],
    ['POST', '/v1/request/home/%FF'],
  ])('the same on %s %s', async (method, path) => {
    const t = await createTestApp()
    expect(await problemOf(await t.call(path, { method, body: method === 'POST' ? 'x' : null }))).toMatchObject({ status: 400, code: 40002 })
  })

  it('a lone surrogate in a JSON envelope topic', async () => {
    const t = await createTestApp()
    expect(await problemOf(await t.call('/v1/publish', json({ topic: 'home/\udc00', payload: 'x' })))).toMatchObject({ status: 400, code: 40002 })
    expect(t.bus.published).toHaveLength(0)
  })

  it('finds the topic when the route itself is written with escapes', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/p%75blish/home/x', { method: 'POST', body: 'x' })).status).toBe(200)
    expect(t.bus.published[0]!.topic).toBe('home/x')
  })

  it('still publishes percent-encoded UTF-8 and %2F as they decode', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/publish/caf%C3%A9/a%2Fb', { method: 'POST', body: 'x' })).status).toBe(200)
    expect(t.bus.published[0]!.topic).toBe('café/a/b')
  })

  it.each([
    ['POST', '/v1/publish/'],
    ['POST', '/v1/request/'],
    ['GET', '/v1/retained/'],
    ['DELETE', '/v1/retained/'],
  ])('an empty topic: %s %s [MQTT-4.7.3-1]', async (method, path) => {
    const t = await createTestApp()
    const problem = await problemOf(await t.call(path, { method, body: method === 'POST' ? 'x' : null }))
    expect(problem).toMatchObject({ status: 400, code: 40002 })
    expect(problem.detail).toContain('empty')
    expect(t.bus.published).toHaveLength(0)
  })

  it.each([
    ['POST', '/v1/publish/home/a?retained=true'],
    ['POST', '/v1/publish/home/a?qos=1&x=1'],
    ['POST', '/v1/request/home/a?timout=100'],
    ['GET', '/v1/retained/home/a?foo=bar'],
    ['GET', '/v1/retained?filter=%23&retained=1'],
    ['GET', '/v1/subscribe?filter=home/%23&since=0'],
    ['GET', '/v1/tokens?all=1'],
    ['GET', '/v1/webhooks?owner=me'],
    ['GET', '/v1/health?verbose=1'],
    ['GET', '/openapi.yaml?v=2'],
    ['GET', '/docs?theme=dark'],
  ])('an unknown query parameter: %s %s', async (method, path) => {
    const t = await createTestApp()
    const problem = await problemOf(await t.call(path, { method, body: method === 'POST' ? 'x' : null }))
    expect(problem.status).toBe(400)
    expect(problem.detail).toMatch(/unknown query parameter/)
    expect(t.bus.published).toHaveLength(0)
  })

  it.each([
    ['a control character', { 'X-Key': 'a\u0001b' }],
    ['DEL', { 'X-Key': 'a\u007fb' }],
    ['a vertical tab', { 'X-Key': 'a\u000bb' }],
    ['a character outside Latin-1', { 'X-Key': 'token☕' }],
  ])('%s in a webhook header value', async (_what, headers) => {
    const bus = new MemoryBus()
    const h = await startHarness({ bus, fetch: new FakeFetch() })
    try {
      const t = await createTestApp({ bus, webhooks: h.service })
      const problem = await problemOf(await t.call('/v1/webhooks', json({ filter: 'a', url: 'http://192.168.1.20/x', headers })))
      expect(problem).toMatchObject({ status: 400, code: 40001 })
      expect(await h.store.listWebhooks()).toEqual([])
    } finally {
      await h.dispatcher.close()
    }
  })
})
