import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

const LIMITS = { maxPayloadBytes: 1024, maxRequestTimeoutMs: 2000, defaultRequestTimeoutMs: 500, maxBulk: 10, maxJsonBytes: 2048, maxBulkBytes: 4096 }

/** Every route that reads a JSON body. */
const JSON_ROUTES: [string, string][] = [
  ['POST', '/v1/publish'],
  ['POST', '/v1/tokens'],
  ['POST', '/v1/webhooks'],
  ['PATCH', '/v1/webhooks/wh_x'],
  ['POST', '/v1/sensors'],
  ['PUT', '/v1/sensors/door'],
  ['POST', '/v1/notifiers'],
  ['PUT', '/v1/notifiers/phone'],
]

/** A JSON body of n bytes: a valid envelope padded with spaces. */
function paddedJson(n: number): string {
  const body = '{"topic":"a","payload":"x"}'
  return body + ' '.repeat(Math.max(0, n - body.length))
}

function streamOf(text: string, chunkBytes = 512): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream({
    pull(c) {
      if (offset >= bytes.byteLength) return c.close()
      c.enqueue(bytes.subarray(offset, offset + chunkBytes))
      offset += chunkBytes
    },
  })
}

async function problem(res: Response): Promise<{ code: number; limitBytes?: number; detail?: string }> {
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  return (await res.json()) as { code: number; limitBytes?: number; detail?: string }
}

describe('JSON body limit (issue 10)', () => {
  it.each(JSON_ROUTES)('answers %s %s with a 413 problem when Content-Length passes http.maxJsonBytes', async (method, path) => {
    const t = await createTestApp({ limits: LIMITS })
    const res = await t.call(path, { method, headers: { 'content-type': 'application/json' }, body: paddedJson(2049) })
    expect(res.status).toBe(413)
    expect(await problem(res)).toMatchObject({ code: 41301, limitBytes: 2048 })
  })

  it.each(JSON_ROUTES)('answers %s %s with a 413 problem when a streamed body without Content-Length passes the limit', async (method, path) => {
    const t = await createTestApp({ limits: LIMITS })
    let pulled = 0
    const source = streamOf(paddedJson(64 * 1024))
    const reader = source.getReader()
    const counting = new ReadableStream<Uint8Array>({
      async pull(c) {
        const { done, value } = await reader.read()
        if (done) return c.close()
        pulled += value.byteLength
        c.enqueue(value)
      },
    })
    const res = await t.call(path, { method, headers: { 'content-type': 'application/json' }, body: counting, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect((await problem(res)).code).toBe(41301)
    // The server stopped reading soon after the limit, long before the end of the body.
    expect(pulled).toBeLessThan(16 * 1024)
    expect(t.bus.published).toHaveLength(0)
  })

  it('still accepts a JSON publish under the limit, streamed or not', async () => {
    const t = await createTestApp({ limits: LIMITS })
    const headers = { 'content-type': 'application/json' }
    expect((await t.call('/v1/publish', { method: 'POST', headers, body: paddedJson(2000) })).status).toBe(200)
    const streamed = await t.call('/v1/publish', { method: 'POST', headers, body: streamOf(paddedJson(2000)), duplex: 'half' } as RequestInit)
    expect(streamed.status).toBe(200)
    expect(t.bus.published).toHaveLength(2)
  })

  it('limits a bulk body by http.maxBulkBytes', async () => {
    const t = await createTestApp({ limits: LIMITS })
    const headers = { 'content-type': 'application/json' }
    const batch = JSON.stringify([1, 2, 3].map(() => ({ topic: 'a', payload: 'x'.repeat(1000) })))
    expect(batch.length).toBeGreaterThan(LIMITS.maxJsonBytes)
    expect((await t.call('/v1/publish/bulk', { method: 'POST', headers, body: batch })).status).toBe(200)
    const over = await t.call('/v1/publish/bulk', { method: 'POST', headers, body: batch + ' '.repeat(4096) })
    expect(over.status).toBe(413)
    expect((await problem(over)).limitBytes).toBe(4096)
  })

  it('refuses a million-element bulk body by its count, before validating any element', async () => {
    const t = await createTestApp({ limits: { ...LIMITS, maxBulkBytes: 4 * 1024 * 1024 } })
    const body = `[${Array.from({ length: 1_000_000 }, () => '0').join(',')}]`
    const res = await t.call('/v1/publish/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect(res.status).toBe(400)
    const p = await problem(res)
    expect(p.detail).toBe('at most 10 messages per batch')
    expect(JSON.stringify(p).length).toBeLessThan(1000)
  })
})
