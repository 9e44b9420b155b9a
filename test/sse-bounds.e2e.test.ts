/** Issue 10: SSE streams are bounded in bytes and in number, against a real node with clients that never read. */
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, TEST_ADMIN_TOKEN, waitFor, type TestHome } from './fixtures/home.js'
import { neverReading } from './fixtures/raw-http.js'

let home: TestHome | undefined
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await home?.stop()
  home = undefined
})

const MiB = 1024 * 1024

async function gauge(h: TestHome, name: string): Promise<number> {
  const text = await (await h.api('/metrics')).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1])
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed || socket.readableEnded ? resolve() : socket.once('close', () => resolve())))
}

describe('SSE bounds on a running node (issue 10)', () => {
  it('drops four streams that never read once they fall sseBufferBytes behind, closes them, and stays small', async () => {
    home = await startTestHome()
    for (let i = 0; i < 4; i++) sockets.push(await neverReading(home.httpPort, '/v1/subscribe?filter=home/%23', TEST_ADMIN_TOKEN))
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 4, 5000, 'four streams')
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const payload = new Uint8Array(256 * 1024).fill(0x61)
    for (let i = 0; i < 300; i++) {
      await home.bus.publish({ topic: 'home/camera', payload, qos: 0, retain: false })
      // Paced, so the server writes what it can and the socket buffers fill before the stream's own budget does.
      await new Promise((r) => setTimeout(r, 2))
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
    }
    // Before the bound, each stream held up to 1,000 messages: 4 x 300 x 350 KB of envelopes here.
    expect(rssPeak - rssBefore).toBeLessThan(150 * MiB)
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 0, 5000, 'streams dropped')
    // The readers never read, so the server cuts them after the grace period...
    const cut = () => home!.log.lines.filter((l) => l.msg?.includes('connection cut')).length
    await waitFor(() => cut() === 4, 20_000, 'connections cut')
    // ...and a reader that reads now finds the connection closed, not kept alive for another request.
    for (const s of sockets) s.resume()
    await Promise.all(sockets.map(closed))
  })

  it('ends the stream of a reader that fell behind with a final overflow event it can read', async () => {
    home = await startTestHome({ http: { sseBufferBytes: 256 * 1024 } })
    const socket = await neverReading(home.httpPort, '/v1/subscribe?filter=home/%23', TEST_ADMIN_TOKEN)
    sockets.push(socket)
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 1, 5000, 'stream open')
    const payload = new Uint8Array(64 * 1024).fill(0x62)
    for (let i = 0; i < 200; i++) await home.bus.publish({ topic: 'home/x', payload, qos: 0, retain: false })
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 0, 5000, 'stream dropped')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => (text += d))
    socket.resume()
    await waitFor(() => text.includes('event: overflow') && text.endsWith('0\r\n\r\n'), 5000, 'the end of the response')
    const events = [...text.matchAll(/^event: (.*)$/gm)].map((m) => m[1])
    expect(events[0]).toBe('ready')
    expect(events.at(-1)).toBe('overflow')
    expect(events.filter((e) => e === 'message').length).toBeLessThan(200)
  })

  it('answers a stream past http.maxStreamsPerToken with 429 and past http.maxStreams with 503', async () => {
    home = await startTestHome({ http: { maxStreamsPerToken: 2, maxStreams: 3 } })
    for (let i = 0; i < 2; i++) sockets.push(await neverReading(home.httpPort, '/v1/subscribe?filter=%23', TEST_ADMIN_TOKEN))
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 2, 5000, 'two streams')
    const perToken = await home.api('/v1/subscribe?filter=%23')
    expect(perToken.status).toBe(429)
    expect(perToken.headers.get('retry-after')).toBe('5')
    const created = await home.api('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'r', read: ['#'] }),
    })
    const other = ((await created.json()) as { token: string }).token
    sockets.push(await neverReading(home.httpPort, '/v1/subscribe?filter=%23', other))
    await waitFor(async () => (await gauge(home!, 'postbridge_sse_streams')) === 3, 5000, 'three streams')
    const total = await home.api('/v1/subscribe?filter=%23', { token: other })
    expect(total.status).toBe(503)
    expect(total.headers.get('retry-after')).toBe('5')
    expect(((await total.json()) as { code: number }).code).toBe(50370)
  })
})
