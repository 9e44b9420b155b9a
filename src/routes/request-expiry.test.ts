import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

// Issue 5: a request queued at the edge while home is offline must not reach the device after the caller gave up.
describe('POST /v1/request/{topic} expiry', () => {
  it('publishes the request with a message expiry of the timeout, rounded up to whole seconds [MQTT-3.3.2-5]', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/request/garage/door/toggle?timeout=1500', { method: 'POST', body: 'go' })
    expect(res.status).toBe(504)
    expect(t.bus.published[0]!.properties?.messageExpiryInterval).toBe(2)
  })
})
