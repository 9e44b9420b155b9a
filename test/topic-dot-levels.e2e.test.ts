/**
 * A topic path with a `.` or `..` level, in any spelling, is refused by the running server (the URL parser would
 * otherwise resolve it: `/v1/publish/a/%2e%2e/b` published to `b`). node:http sends the path as written.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestHome, TEST_ADMIN_TOKEN, type TestHome } from './fixtures/home.js'

let home: TestHome
beforeAll(async () => {
  home = await startTestHome()
})
afterAll(async () => {
  await home.stop()
})

function send(method: string, path: string, body?: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(home.httpUrl)
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe('topic paths with dot levels', () => {
  it.each([
    ['POST', '/v1/publish/a/%2e%2e/b?retain=true&qos=1', 'a/../b'],
    ['POST', '/v1/publish/a/../b?retain=true', 'a/../b'],
    ['POST', '/v1/publish/x/.%2E/b?retain=true', 'x/../b'],
    ['POST', '/v1/publish/a/%2e/b?retain=true', 'a/./b'],
    ['POST', '/v1/publish/../b?retain=true', '../b'],
    ['POST', '/v1/request/b/%2e%2e/b?timeout=50', 'b/../b'],
    ['GET', '/v1/retained/a/%2e%2e/b', 'a/../b'],
    ['DELETE', '/v1/retained/a/%2e%2e/b', 'a/../b'],
  ])('%s %s: 400 problem naming "%s", and b keeps its retained message', async (method, path, topic) => {
    expect((await send('POST', '/v1/publish/b?retain=true', 'kept')).status).toBe(200)
    const res = await send(method, path, method === 'POST' ? 'moved' : undefined)
    expect(res.status).toBe(400)
    expect(res.contentType).toBe('application/problem+json')
    expect(JSON.parse(res.body)).toMatchObject({ code: 40002, detail: expect.stringContaining(`topic "${topic}"`) })
    const kept = await send('GET', '/v1/retained/b')
    expect(kept.status).toBe(200)
    expect(kept.body).toBe('kept')
  })

  it('publishes levels that only look like dots', async () => {
    expect((await send('POST', '/v1/publish/c/.../d.?retain=true', 'dots')).status).toBe(200)
    expect((await send('GET', '/v1/retained/c/.../d.')).body).toBe('dots')
  })
})
