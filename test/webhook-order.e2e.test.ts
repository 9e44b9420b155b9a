/**
 * The order a device published in is the order every consumer sees [MQTT-4.6.0-6]: a real home node, a real mqtt.js
 * device publishing retained QoS 1 messages back to back, a real webhook receiver and an SSE reader.
 */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { startReceiver, type Receiver } from './fixtures/receiver.js'

const COUNT = 2000
const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** Reads `message` events of an SSE stream, keeping the payloads. */
async function readSse(h: TestHome, filter: string, payloads: string[]): Promise<() => void> {
  const abort = new AbortController()
  const res = await h.api(`/v1/subscribe?filter=${encodeURIComponent(filter)}`, { signal: abort.signal })
  expect(res.status).toBe(200)
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let ready!: () => void
  const isReady = new Promise<void>((resolve) => (ready = resolve))
  void (async () => {
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }))
      if (done) return
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (event.includes('event: ready')) ready()
        const data = /^data: (.*)$/m.exec(event)?.[1]
        if (event.includes('event: message') && data) payloads.push((JSON.parse(data) as { payload: string }).payload)
      }
    }
  })()
  await isReady
  return () => abort.abort()
}

/** Pairs of neighbours out of order, e.g. ["179 before 178"]. */
function swaps(payloads: string[]): string[] {
  const out: string[] = []
  for (let i = 1; i < payloads.length; i++) if (Number(payloads[i]) < Number(payloads[i - 1])) out.push(`${payloads[i]} after ${payloads[i - 1]}`)
  return out
}

describe('publish order with a webhook matching', () => {
  it('delivers retained QoS 1 messages of one device to the webhook receiver and SSE in publish order [MQTT-4.6.0-6]', async () => {
    const h = await startTestHome({ webhooks: { allowPrivate: true, retryBase: '50ms' } })
    cleanups.push(() => h.stop())
    const r: Receiver = await startReceiver()
    cleanups.push(() => r.close())
    const created = await h.api('/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({ filter: 'meter/#', url: r.url }),
      headers: { 'content-type': 'application/json' },
    })
    expect(created.status).toBe(201)
    const sse: string[] = []
    cleanups.push(await readSse(h, 'meter/#', sse))

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.mqttPort}`, { clientId: 'meter-1', protocolVersion: 4, reconnectPeriod: 0 })
    cleanups.push(() => device.endAsync())
    // Back to back, without waiting for each PUBACK: the broker reads several PUBLISH packets at once.
    await Promise.all(Array.from({ length: COUNT }, (_, i) => device.publishAsync('meter/power', String(i + 1), { qos: 1, retain: true })))

    await waitFor(() => r.requests.length >= COUNT && sse.length >= COUNT, 60_000, `${COUNT} deliveries`)
    const hooked = r.bodies().map((b) => b.payload)
    expect(swaps(hooked)).toEqual([])
    expect(swaps(sse)).toEqual([])
    expect(hooked).toHaveLength(COUNT)
    expect(sse).toHaveLength(COUNT)
  })
})
