import { describe, expect, it } from 'vitest'
import { MemoryBus } from '../src/testing/memory-bus.js'
import { MemoryTokenStore } from '../src/testing/memory-token-store.js'
import { RecordingLogger } from '../src/testing/recording-logger.js'
import { sha256Hex } from '../src/util/bytes.js'
import { createEdgeApp, type EdgeAppOptions } from './edge-app.js'

const ADMIN = 'edge-app-test-admin-token-012345'

async function app(over: Partial<EdgeAppOptions> = {}) {
  return createEdgeApp({
    bus: new MemoryBus(),
    tokens: new MemoryTokenStore(),
    settings: { maxPayloadBytes: 16 },
    log: new RecordingLogger(),
    now: () => Date.now(),
    defer: () => {},
    health: () => ({ mode: 'test-mode' }),
    adminHash: await sha256Hex(ADMIN),
    ...over,
  })
}

describe('the edge app, built once for both Durable Objects', () => {
  it("takes the admin token, applies the edge's payload limit and reports the mode's health facts", async () => {
    const edge = await app()
    const auth = { authorization: `Bearer ${ADMIN}` }
    expect((await edge.request('/v1/publish/house/lamp', { method: 'POST', body: 'x'.repeat(17), headers: auth })).status).toBe(413)
    expect((await edge.request('/v1/publish/house/lamp', { method: 'POST', body: 'on', headers: auth })).status).toBeLessThan(300)
    expect(await (await edge.request('/v1/health', { headers: auth })).json()).toMatchObject({ mode: 'test-mode' })
    expect((await edge.request('/v1/health', { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401)
  })

  it('answers 501 for the features a mode does not have', async () => {
    const res = await (await app()).request('/v1/webhooks', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(res.status).toBe(501)
  })
})
