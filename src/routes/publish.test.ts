import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as { status: number; code: number; detail?: string; type: string }
}

describe('POST /v1/publish/{topic}', () => {
  it('publishes the body byte for byte with qos 1 by default', async () => {
    const t = await createTestApp()
    const body = new Uint8Array([0, 255, 1, 128])
    const res = await t.call('/v1/publish/home/relay/1/set', { method: 'POST', body })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ topic: 'home/relay/1/set', qos: 1, retain: false, bytes: 4 })
    expect(t.bus.published).toHaveLength(1)
    expect(t.bus.published[0]!.payload).toEqual(body)
    expect(t.bus.published[0]!.qos).toBe(1)
  })
  it('honours qos and retain query parameters', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish/a/b?qos=2&retain=true', { method: 'POST', body: 'x' })
    expect(res.status).toBe(200)
    expect(t.bus.published[0]).toMatchObject({ qos: 2, retain: true })
  })
  it('keeps the sender content type as the MQTT 5 contentType', async () => {
    const t = await createTestApp()
    await t.call('/v1/publish/a', { method: 'POST', body: '{"on":true}', headers: { 'content-type': 'application/json' } })
    expect(t.bus.published[0]!.properties?.contentType).toBe('application/json')
  })
  it.each([
    ['/v1/publish/a/%2B/b', 40002, /wildcard/],
    ['/v1/publish/a/%23', 40002, /wildcard/],
    ['/v1/publish/a%00b', 40002, /NUL/],
    ['/v1/publish/%24SYS/x', 40002, /reserved/],
    ['/v1/publish/a?qos=3', 40004, /qos must be 0, 1 or 2/],
    ['/v1/publish/a?retain=maybe', 40001, /retain/],
  ])('refuses %s with a 400 problem and publishes nothing', async (path, code, detail) => {
    const t = await createTestApp()
    const res = await t.call(path, { method: 'POST', body: 'x' })
    expect(res.status).toBe(400)
    const p = await problem(res)
    expect(p.code).toBe(code)
    expect(p.detail).toMatch(detail)
    expect(t.bus.published).toHaveLength(0)
  })
  it('refuses a payload over the limit with 413', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish/a', { method: 'POST', body: new Uint8Array(1025) })
    expect(res.status).toBe(413)
    expect((await problem(res)).code).toBe(41301)
    expect(t.bus.published).toHaveLength(0)
  })
  it('refuses a streamed body over the limit without a content-length', async () => {
    const t = await createTestApp()
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(800))
        c.enqueue(new Uint8Array(800))
        c.close()
      },
    })
    const res = await t.call('/v1/publish/a', { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(t.bus.published).toHaveLength(0)
  })
  it('answers 401 without a token and with a wrong one', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/publish/a', { method: 'POST', body: 'x', token: null })).status).toBe(401)
    const wrong = await t.call('/v1/publish/a', { method: 'POST', body: 'x', token: t.admin.slice(0, -2) + 'zz' })
    expect(wrong.status).toBe(401)
    expect((await problem(wrong)).code).toBe(40101)
    expect(t.bus.published).toHaveLength(0)
  })
  it('answers 403 outside the token publish scope', async () => {
    const t = await createTestApp()
    const token = await t.mint({ publish: ['home/+/set'] })
    expect((await t.call('/v1/publish/home/lamp/set', { method: 'POST', body: 'x', token })).status).toBe(200)
    const res = await t.call('/v1/publish/garage/door/set', { method: 'POST', body: 'x', token })
    expect(res.status).toBe(403)
    expect(t.bus.published).toHaveLength(1)
  })
  it('answers 503 when the broker refuses, without a stack', async () => {
    const t = await createTestApp()
    t.bus.failWith = new Error('store closed')
    const res = await t.call('/v1/publish/a', { method: 'POST', body: 'x' })
    expect(res.status).toBe(503)
    expect(JSON.stringify(await problem(res))).not.toMatch(/at .*\.ts/)
  })
  it('answers 503, logged, when the bus throws rather than rejects', async () => {
    const t = await createTestApp()
    t.bus.publish = () => {
      throw new Error('broker gone')
    }
    const res = await t.call('/v1/publish/a', { method: 'POST', body: 'x' })
    expect(res.status).toBe(503)
    expect((await problem(res)).detail).toMatch(/broker gone/)
    expect(t.log.text()).toContain('publish failed')
  })
  it('never logs the bearer token', async () => {
    const t = await createTestApp()
    await t.call('/v1/publish/a', { method: 'POST', body: 'x' })
    await t.call('/v1/tokens', json({ name: 'n' }))
    expect(t.log.text()).not.toContain(t.admin)
  })
})

describe('POST /v1/publish (JSON envelope)', () => {
  it('decodes base64 payloads and carries MQTT 5 properties', async () => {
    const t = await createTestApp()
    const res = await t.call(
      '/v1/publish',
      json({
        topic: 'a/b',
        payload: 'AP8=',
        encoding: 'base64',
        qos: 0,
        retain: true,
        properties: { correlationData: 'aGk=', userProperties: { k: 'v' }, responseTopic: 'r/1' },
      }),
    )
    expect(res.status).toBe(200)
    const m = t.bus.published[0]!
    expect(m.payload).toEqual(new Uint8Array([0, 255]))
    expect(m).toMatchObject({ qos: 0, retain: true })
    expect(m.properties?.correlationData).toEqual(new TextEncoder().encode('hi'))
    expect(m.properties?.userProperties).toEqual({ k: 'v' })
  })
  it('serialises a JSON payload and marks it application/json', async () => {
    const t = await createTestApp()
    await t.call('/v1/publish', json({ topic: 'a', payload: { on: true }, encoding: 'json' }))
    expect(new TextDecoder().decode(t.bus.published[0]!.payload)).toBe('{"on":true}')
    expect(t.bus.published[0]!.properties?.contentType).toBe('application/json')
  })
  it.each([
    [{ topic: 'a', payload: 'x', colour: 'red' }, /unknown field/],
    [{ topic: 'a', payload: 'x', qos: 5 }, /qos/],
    [{ topic: 'a', payload: '%%%', encoding: 'base64' }, /base64/],
    [{ topic: 'a', payload: 5 }, /must be a string/],
    [{ topic: 'a/#', payload: 'x' }, /wildcard/],
    [{ topic: '', payload: 'x' }, /empty/],
    [{ topic: 'a', payload: 'x', properties: { correlationData: '!!' } }, /correlationData/],
    [{ topic: 'a', payload: 'x', properties: { bogus: 1 } }, /unknown field/],
  ])('refuses %j with 400 and publishes nothing', async (body, detail) => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish', json(body))
    expect(res.status).toBe(400)
    expect((await problem(res)).detail).toMatch(detail)
    expect(t.bus.published).toHaveLength(0)
  })
  it('refuses malformed JSON with a 400 problem', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish', { method: 'POST', body: '{"topic":', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(400)
    expect((await problem(res)).status).toBe(400)
  })
  it('refuses an envelope payload over the limit with 413', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish', json({ topic: 'a', payload: 'x'.repeat(1025) }))
    expect(res.status).toBe(413)
  })
})

describe('POST /v1/publish/bulk', () => {
  it('publishes every envelope in order', async () => {
    const t = await createTestApp()
    const res = await t.call(
      '/v1/publish/bulk',
      json([
        { topic: 'a', payload: '1' },
        { topic: 'b', payload: '2', qos: 0 },
      ]),
    )
    expect(res.status).toBe(200)
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(2)
    expect(t.bus.published.map((m) => m.topic)).toEqual(['a', 'b'])
  })
  it('refuses the whole batch when one envelope is bad', async () => {
    const t = await createTestApp()
    const res = await t.call(
      '/v1/publish/bulk',
      json([
        { topic: 'a', payload: '1' },
        { topic: 'b/#', payload: '2' },
      ]),
    )
    expect(res.status).toBe(400)
    expect(t.bus.published).toHaveLength(0)
  })
  it('refuses a batch over the limit and an empty batch', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/publish/bulk', json(Array.from({ length: 11 }, () => ({ topic: 'a', payload: '1' }))))).status).toBe(400)
    expect((await t.call('/v1/publish/bulk', json([]))).status).toBe(400)
    expect(t.bus.published).toHaveLength(0)
  })
})

describe('POST /v1/publish/{topic} with a body the runtime already holds (AppBindings.arrivedBody)', () => {
  /** A runtime's arrived body that counts how often it is taken. */
  const holding = (body: Uint8Array | undefined) => {
    const held = {
      taken: 0,
      get rawBody() {
        held.taken++
        return body
      },
    }
    return held
  }
  const bytes = new Uint8Array([0, 255, 1, 128, 10])
  // A runtime holds a body only when its length was declared (HTTP framing); a test Request declares none by itself.
  const declared = (body: Uint8Array) => ({ 'content-length': String(body.byteLength) })

  it('publishes the held body byte for byte and answers as when it is read from the request', async () => {
    const read = await createTestApp()
    const viaStream = await read.call('/v1/publish/a/b?qos=0', { method: 'POST', body: bytes, headers: declared(bytes) })
    const t = await createTestApp()
    const held = holding(bytes)
    const viaHeld = await t.call('/v1/publish/a/b?qos=0', { method: 'POST', body: bytes, headers: declared(bytes), env: { arrivedBody: held } })
    expect(held.taken).toBe(1)
    expect(t.bus.published[0]).toEqual(read.bus.published[0])
    expect(viaHeld.status).toBe(viaStream.status)
    expect([...viaHeld.headers]).toEqual([...viaStream.headers])
    expect(await viaHeld.text()).toBe(await viaStream.text())
  })
  it('reads the request when the runtime holds none of it', async () => {
    const t = await createTestApp()
    const held = holding(undefined)
    expect((await t.call('/v1/publish/a', { method: 'POST', body: bytes, headers: declared(bytes), env: { arrivedBody: held } })).status).toBe(200)
    expect(held.taken).toBe(1)
    expect(t.bus.published[0]!.payload).toEqual(bytes)
  })
  it('refuses a declared length over the limit with 413 before taking the body, as before the topic is checked', async () => {
    const t = await createTestApp()
    const held = holding(new Uint8Array(1025))
    const res = await t.call('/v1/publish/a/%2B', {
      method: 'POST',
      body: new Uint8Array(1025),
      headers: declared(new Uint8Array(1025)),
      env: { arrivedBody: held },
    })
    expect(res.status).toBe(413)
    expect((await problem(res)).code).toBe(41301)
    expect(held.taken).toBe(0)
    expect(t.bus.published).toHaveLength(0)
  })
})
