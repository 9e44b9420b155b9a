import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { api, bytes, eventually, inHub, linkHome } from './testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())
const json = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

describe('webhooks at the edge', () => {
  it('keeps webhooks made with POST /v1/webhooks in the Durable Object', async () => {
    const hub = freshHub()
    const created = await api(hub, '/v1/webhooks', json({ filter: 'home/door/#', url: 'https://receiver.invalid/hook' }))
    expect(created.status).toBe(201)
    const list = (await (await api(hub, '/v1/webhooks')).json()) as { webhooks?: { filter: string }[] } | { filter: string }[]
    expect(JSON.stringify(list)).toContain('home/door/#')
  })

  it('tries to deliver a message that came up the link, logs the attempt, and sets an alarm for the retry', async () => {
    const hub = freshHub()
    const created = (await (await api(hub, '/v1/webhooks', json({ filter: 'home/door/#', url: 'https://receiver.invalid/hook' }))).json()) as {
      id?: string
      webhook?: { id: string }
    }
    const id = created.id ?? created.webhook!.id
    const home = await linkHome(hub)
    home.send({ cmd: 'publish', topic: 'home/door/front', payload: bytes('open'), qos: 1, messageId: 1, retain: false, dup: false })
    await home.next('puback')
    // No network in the test runtime: the attempt fails and is logged as a retry.
    const attempts = await eventually(async () => {
      const res = (await (await api(hub, `/v1/webhooks/${id}/deliveries`)).json()) as unknown
      const text = JSON.stringify(res)
      expect(text).toContain('home/door/front')
      return text
    }, 10_000)
    expect(attempts).toMatch(/retry|error/)
    const alarm = await eventually(async () => {
      const t = await inHub(hub, (_h, state) => state.storage.getAlarm())
      expect(t).not.toBeNull()
      return t!
    }, 5000)
    expect(alarm).toBeGreaterThan(Date.now())
    home.close()
  })
})
