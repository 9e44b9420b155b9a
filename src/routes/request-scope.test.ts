/** POST /v1/request: the reply stays inside the token's scope, and concurrent requests never take each other's replies (issue 10). */
import { describe, expect, it } from 'vitest'
import type { Message } from '../ports/types.js'
import { mqtt5Responder } from '../testing/mqtt5-responder.js'
import { createTestApp } from '../testing/test-app.js'
import { utf8 } from '../util/bytes.js'

type TestApp = Awaited<ReturnType<typeof createTestApp>>

const text = (m: Message) => new TextDecoder().decode(m.payload)

/** A 3.1.1 device: answers every command on {topic}/reply, a little later, echoing what it was asked. */
async function legacyDevice(t: TestApp, topic = 'dev/cmd', delayMs = 20) {
  await t.bus.subscribe([topic], (m) => {
    setTimeout(() => void t.bus.publish({ topic: `${topic}/reply`, payload: utf8(`re:${text(m)}`), qos: 0, retain: false }), delayMs)
  })
}

describe('POST /v1/request/{topic}: scope and crossing', () => {
  it('does not hand a publish-only token what arrives on {topic}/reply', async () => {
    const t = await createTestApp()
    await legacyDevice(t)
    const publishOnly = await t.mint({ publish: ['dev/#'] })
    const res = await t.call('/v1/request/dev/cmd?timeout=300', { method: 'POST', body: 'status', token: publishOnly })
    expect(res.status).toBe(504)
    expect(((await res.json()) as { detail: string }).detail).not.toContain('dev/cmd/reply')
  })

  it('hands the {topic}/reply reply to a token that may read it', async () => {
    const t = await createTestApp()
    await legacyDevice(t)
    const token = await t.mint({ publish: ['dev/#'], read: ['dev/+/reply'] })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'status', token })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('re:status')
  })

  it('still hands a publish-only token the MQTT 5 reply addressed to its own request', async () => {
    const t = await createTestApp()
    await mqtt5Responder(t.bus, 'dev/cmd', 'pong')
    const publishOnly = await t.mint({ publish: ['dev/#'] })
    const res = await t.call('/v1/request/dev/cmd', { method: 'POST', body: 'ping', token: publishOnly })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('pong')
  })

  it('serves concurrent 3.1.1-style requests to one topic one at a time: each gets its own reply', async () => {
    const t = await createTestApp()
    await legacyDevice(t)
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((body) => t.call('/v1/request/dev/cmd?timeout=2000', { method: 'POST', body })))
    expect([a!.status, b!.status, c!.status]).toEqual([200, 200, 200])
    expect([await a!.text(), await b!.text(), await c!.text()]).toEqual(['re:A', 're:B', 're:C'])
    // One at a time: each command went out only after the previous reply came back. The order in which the three
    // take their turn is the order their token checks finish (hashing runs off the main thread), not the call order.
    const published = t.bus.published.map((m) => `${m.topic}:${text(m)}`)
    const turns = [0, 2, 4].map((i) => published[i]!.slice('dev/cmd:'.length))
    expect([...turns].sort()).toEqual(['A', 'B', 'C'])
    expect(published).toEqual(turns.flatMap((body) => [`dev/cmd:${body}`, `dev/cmd/reply:re:${body}`]))
  })

  it('answers 504 to a request whose turn does not come before its timeout, without publishing it', async () => {
    const t = await createTestApp()
    await legacyDevice(t, 'dev/cmd', 400)
    const first = t.call('/v1/request/dev/cmd?timeout=1500', { method: 'POST', body: 'slow' })
    await new Promise((r) => setTimeout(r, 20))
    const second = await t.call('/v1/request/dev/cmd?timeout=50', { method: 'POST', body: 'impatient' })
    expect(second.status).toBe(504)
    expect(await (await first).text()).toBe('re:slow')
    expect(t.bus.published.map(text)).not.toContain('impatient')
  })
})
