import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

// Issue 5: at the edge, a publish while home is offline is stored and answered 202 with queued: true.
describe('publishing to a bus that queues (the edge while home is offline)', () => {
  it('answers 202 with queued: true for POST /v1/publish/{topic}', async () => {
    const t = await createTestApp()
    t.bus.queueing = true
    const res = await t.call('/v1/publish/home/lamp/set', { method: 'POST', body: 'on' })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ topic: 'home/lamp/set', queued: true, bytes: 2 })
  })
  it('answers 202 with queued: true for the JSON envelope', async () => {
    const t = await createTestApp()
    t.bus.queueing = true
    const res = await t.call('/v1/publish', {
      method: 'POST',
      body: JSON.stringify({ topic: 'a', payload: 'x', encoding: 'utf8', qos: 1, retain: false }),
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ queued: true })
  })
  it('answers 202 for a bulk publish when any message was queued', async () => {
    const t = await createTestApp()
    t.bus.queueing = true
    const res = await t.call('/v1/publish/bulk', {
      method: 'POST',
      body: JSON.stringify([{ topic: 'a', payload: 'x', encoding: 'utf8', qos: 1, retain: false }]),
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(202)
    expect(((await res.json()) as { results: { queued?: boolean }[] }).results[0]!.queued).toBe(true)
  })
  it('keeps 200 without queued when the broker accepted the message', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/publish/a', { method: 'POST', body: 'x' })
    expect(res.status).toBe(200)
    expect(await res.json()).not.toHaveProperty('queued')
  })
})
