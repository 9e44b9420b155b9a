/** Issue 10: JSON bodies are limited before they are buffered, against a real node and real streamed bodies. */
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, type TestHome } from './fixtures/home.js'
import { streamUpload } from './fixtures/raw-http.js'

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

async function readOnlyToken(h: TestHome): Promise<string> {
  const res = await h.api('/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'reader', read: ['#'] }),
  })
  return ((await res.json()) as { token: string }).token
}

const MiB = 1024 * 1024

describe('JSON body limit on a running node (issue 10)', () => {
  it('answers four concurrent 200 MB streamed publishes with 413 before the bodies end, closes them, and stays small', async () => {
    home = await startTestHome()
    const token = await readOnlyToken(home)
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20)
    try {
      const uploads = await Promise.all([1, 2, 3, 4].map(() => streamUpload(`${home!.httpUrl}/v1/publish`, { token, totalBytes: 200 * MiB })))
      for (const u of uploads) {
        expect(u.status).toBe(413)
        expect(u.contentType).toBe('application/problem+json')
        expect(JSON.parse(u.body)).toMatchObject({ code: 41301, limitBytes: home.config.http.maxJsonBytes })
        expect(u.sentBeforeAnswer).toBeLessThan(200 * MiB)
        expect(u.closedByServer).toBe(true)
      }
    } finally {
      clearInterval(sampler)
    }
    // Before the limit, each body was buffered whole: 4 x 200 MB. A generous margin for the test's own garbage.
    expect(rssPeak - rssBefore).toBeLessThan(150 * MiB)
  })

  it('answers a declared 200 MB Content-Length with 413 before any of the body is needed', async () => {
    home = await startTestHome()
    const token = await readOnlyToken(home)
    const u = await streamUpload(`${home.httpUrl}/v1/webhooks`, { token, totalBytes: 200 * MiB, declareLength: true })
    expect(u.status).toBe(413)
    expect(JSON.parse(u.body)).toMatchObject({ code: 41301 })
    expect(u.sentBeforeAnswer).toBeLessThan(200 * MiB)
    expect(u.closedByServer).toBe(true)
  })

  it('answers a streamed bulk body over http.maxBulkBytes with 413', async () => {
    home = await startTestHome({ http: { maxBulkBytes: 64 * 1024 } })
    const u = await streamUpload(`${home.httpUrl}/v1/publish/bulk`, { token: 'test-admin-token-0123456789abcdef', totalBytes: 50 * MiB })
    expect(u.status).toBe(413)
    expect(JSON.parse(u.body)).toMatchObject({ code: 41301, limitBytes: 64 * 1024 })
    expect(u.closedByServer).toBe(true)
  })
})
