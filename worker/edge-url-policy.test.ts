import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { api } from './testing/test-home.js'

describe('the webhook URL policy at the edge (issue 11)', () => {
  it('names the Worker variable POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE when it refuses a loopback target, not the home key', async () => {
    const hub = env.LINK_HUB.getByName(crypto.randomUUID())
    const res = await api(hub, '/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'home/#', url: 'http://127.0.0.1:9/hook' }),
    })
    expect(res.status).toBe(400)
    const { detail } = (await res.json()) as { detail: string }
    expect(detail).toContain('POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE')
    expect(detail).not.toContain('webhooks.allowPrivate')
  })
})
