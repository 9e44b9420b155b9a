import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

async function readEvents(res: Response, count: number): Promise<{ event: string; data: string }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const events: { event: string; data: string }[] = []
  let buffer = ''
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event && data !== undefined) events.push({ event, data })
    }
  }
  await reader.cancel()
  return events
}

describe('GET /v1/subscribe', () => {
  it('streams matching messages as events, and only those', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/subscribe?filter=home/%23&filter=garage/door')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/)
    const events = readEvents(res, 3)
    while (t.bus.subscriberCount === 0) await new Promise((r) => setTimeout(r, 5))
    await t.bus.publish({ topic: 'elsewhere', payload: utf8('no'), qos: 0, retain: false })
    await t.bus.publish({ topic: 'home/lamp', payload: utf8('on'), qos: 0, retain: false })
    await t.bus.publish({ topic: 'garage/door', payload: new Uint8Array([1, 255]), qos: 1, retain: false })
    const got = await events
    expect(got[0]!.event).toBe('ready')
    expect(JSON.parse(got[1]!.data)).toMatchObject({ topic: 'home/lamp', payload: 'on', encoding: 'utf8' })
    expect(JSON.parse(got[2]!.data)).toMatchObject({ topic: 'garage/door', payload: 'Af8=', encoding: 'base64' })
  })
  it('unsubscribes when the client goes away', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/subscribe?filter=%23')
    await readEvents(res, 1)
    for (let i = 0; i < 100 && t.bus.subscriberCount > 0; i++) await new Promise((r) => setTimeout(r, 5))
    expect(t.bus.subscriberCount).toBe(0)
  })
  it.each([
    ['/v1/subscribe', 400],
    ['/v1/subscribe?filter=a/%23/b', 400],
  ])('refuses %s', async (path, status) => {
    const t = await createTestApp()
    expect((await t.call(path)).status).toBe(status)
  })
  it('refuses a filter wider than the token read scope', async () => {
    const t = await createTestApp()
    const token = await t.mint({ read: ['home/#'] })
    expect((await t.call('/v1/subscribe?filter=%23', { token })).status).toBe(403)
    expect(t.bus.subscriberCount).toBe(0)
  })
})
