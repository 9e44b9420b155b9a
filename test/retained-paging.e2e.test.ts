/** Issue 10: GET /v1/retained?filter= is paged and read page by page from the broker's store, on a running node. */
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, type TestHome } from './fixtures/home.js'

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

const MiB = 1024 * 1024

describe('retained paging on a running node (issue 10)', () => {
  it('serves 20 concurrent listings of 100 x 256 KiB retained messages a page at a time, within a memory bound', async () => {
    home = await startTestHome()
    const payload = new Uint8Array(256 * 1024).fill(0x72)
    for (let i = 0; i < 100; i++) await home.bus.publish({ topic: `cam/${String(i).padStart(3, '0')}`, payload, qos: 1, retain: true })
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10)
    let firstPages: { messages: { topic: string }[]; next?: string }[] = []
    try {
      firstPages = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const res = await home!.api('/v1/retained?filter=cam/%23')
          expect(res.status).toBe(200)
          return (await res.json()) as { messages: { topic: string }[]; next?: string }
        }),
      )
      for (const p of firstPages) {
        expect(p.messages.length).toBeGreaterThan(0)
        expect(p.messages.length).toBeLessThan(100)
        expect(p.next).toBeDefined()
      }
    } finally {
      clearInterval(sampler)
    }
    // Unpaged, each listing held all 100 messages as base64 envelopes and one JSON string: 1.25 GB at 20.
    expect(rssPeak - rssBefore).toBeLessThan(250 * MiB)
    // The next page goes on after the first, from the store.
    const first = firstPages[0]!
    const second = (await (await home.api(`/v1/retained?filter=cam/%23&cursor=${first.next}`)).json()) as { messages: { topic: string }[] }
    expect(second.messages[0]!.topic > first.messages.at(-1)!.topic).toBe(true)
  })
})
