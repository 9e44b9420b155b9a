/** Requests Node's HTTP parser refuses get problem+json, not an empty 400 or 431 (issue 10). Raw TCP: no client sends these. */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestHome, TEST_ADMIN_TOKEN, type TestHome } from './fixtures/home.js'

let home: TestHome
beforeAll(async () => {
  home = await startTestHome()
})
afterAll(async () => {
  await home.stop()
})

/** Sends raw bytes and reads until the server closes (or 5 s pass). */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(home.httpPort, '127.0.0.1')
    let out = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => (out += d))
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
    socket.setTimeout(5000, () => socket.destroy())
    socket.write(request)
  })
}

function parse(answer: string): { status: number; headers: string; body: Record<string, unknown> } {
  const end = answer.indexOf('\r\n\r\n')
  const head = answer.slice(0, end)
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: JSON.parse(answer.slice(end + 4)) as Record<string, unknown> }
}

const auth = `Authorization: Bearer ${TEST_ADMIN_TOKEN}\r\n`

describe('requests Node refuses', () => {
  it.each([
    [
      'Content-Length with Transfer-Encoding',
      `POST /v1/publish/a HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n`,
      'Transfer-Encoding',
    ],
    [
      'a duplicate Content-Length',
      `POST /v1/publish/a HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi`,
      'Content-Length',
    ],
    ['an HTTP/1.1 request without Host', `GET /v1/health HTTP/1.1\r\n\r\n`, 'Host'],
    ['a malformed request line', `GET /v1/health HTTP/9\r\nHost: x\r\n\r\n`, 'HTTP'],
  ])('answers %s with 400 problem+json', async (_what, request, detail) => {
    const answer = parse(await raw(request))
    expect(answer.status).toBe(400)
    expect(answer.headers).toContain('content-type: application/problem+json')
    expect(answer.body).toMatchObject({ status: 400, code: 40050 })
    expect(String(answer.body.detail)).toContain(detail)
  })

  it('answers headers over the limit with 431 problem+json', async () => {
    const answer = parse(await raw(`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`))
    expect(answer.status).toBe(431)
    expect(answer.headers).toContain('content-type: application/problem+json')
    expect(answer.body).toMatchObject({ status: 431, code: 43150 })
  })

  it('answers an HTTP/1.0 request without Host with 400 problem+json too', async () => {
    const answer = parse(await raw(`GET /v1/health HTTP/1.0\r\n\r\n`))
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ status: 400, code: 40050 })
  })

  it('publishes nothing from the refused requests, and serves a valid one on a new connection', async () => {
    expect(await home.bus.retained('#')).toEqual([])
    expect((await home.api('/v1/health')).status).toBe(200)
  })
})
