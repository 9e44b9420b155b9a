/** Issue 10: the webhook outbox on disk is bounded, and a message matched by many hooks is stored once. */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, type TestHome } from './fixtures/home.js'

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

const MiB = 1024 * 1024

function sqliteBytes(dataDir: string): number {
  return readdirSync(dataDir)
    .filter((f) => f.startsWith('postbridge.db'))
    .reduce((n, f) => n + statSync(join(dataDir, f)).size, 0)
}

describe('webhook outbox bounds on a running node (issue 10)', () => {
  it('stores one copy of each message for 20 hooks on a dead receiver, and caps each outbox at maxOutboxBytes', async () => {
    home = await startTestHome({ webhooks: { maxOutboxBytes: 4 * MiB } })
    for (let i = 0; i < 20; i++) {
      // TEST-NET-1: nothing answers there, so every message waits in the outbox.
      const res = await home.api('/v1/webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: 'cam/#', url: `http://192.0.2.1/hook/${i}` }),
      })
      expect(res.status).toBe(201)
    }
    const refused = await home.api('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'cam/#', url: 'http://192.0.2.1/hook/x' }),
    })
    expect(refused.status).toBe(409)
    const before = sqliteBytes(home.config.dataDir)
    const payload = new Uint8Array(256 * 1024).fill(0x63)
    for (let i = 0; i < 60; i++) await home.bus.publish({ topic: 'cam/front', payload, qos: 1, retain: false })
    // Each body (about 256 KiB of JSON) is stored once, and each hook keeps at most 4 MiB pending and 4 MiB dead:
    // 20 copies of 60 messages would be 300 MB.
    const grown = sqliteBytes(home.config.dataDir) - before
    expect(grown).toBeLessThan(40 * MiB)
    const hooks = ((await (await home.api('/v1/webhooks')).json()) as { webhooks: { pending: number; dead: number }[] }).webhooks
    for (const h of hooks) {
      expect(h.pending * 256 * 1024).toBeLessThanOrEqual(4 * MiB + 256 * 1024)
      expect(h.pending + h.dead).toBeGreaterThan(0)
    }
    expect(await home.deps.webhooks!.list()).toHaveLength(20)
    const metrics = await (await home.api('/metrics')).text()
    expect(Number(/^postbridge_webhook_outbox_evicted_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0)
  })
})
