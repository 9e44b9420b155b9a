/**
 * A half-open link (issue 11): home's old connection is dead but the edge has not heard it close. A new link takes
 * over at once, the edge never sends on the closed socket, and its own keep-alive check notices a silent link.
 */
import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, eventually, inHub, linkHome, text } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())
const publish = (hub: DurableObjectStub, topic: string, body: string) => api(hub, `/v1/publish/${topic}`, { method: 'POST', body })

async function health(hub: DurableObjectStub) {
  return (await (await api(hub, '/v1/health')).json()) as { status: string; link: { home: string; since?: string; queued: number } }
}

describe('a new link taking over a half-open one', () => {
  it('answers 200 for a publish acknowledged on the new link, never 503, and sends nothing more on the old socket', async () => {
    const hub = freshHub()
    const old = await linkHome(hub)
    const fresh = await linkHome(hub)
    const pending = publish(hub, 'home/lamp/set', 'on')
    const p = await fresh.next('publish')
    expect(text(p.payload)).toBe('on')
    fresh.send({ cmd: 'puback', messageId: p.messageId })
    const res = await pending
    expect(res.status).toBe(200)
    expect(old.received.filter((x) => x.cmd === 'publish')).toHaveLength(0)
    fresh.close()
  })

  it('reports the new link online, with its own since, at once', async () => {
    const hub = freshHub()
    await linkHome(hub)
    const firstSince = (await health(hub)).link.since
    await new Promise((r) => setTimeout(r, 20))
    const fresh = await linkHome(hub)
    const h = await health(hub)
    expect(h.link.home).toBe('online')
    expect(h.link.since).not.toBe(firstSince)
    fresh.close()
  })

  it('sends what the old link left unacknowledged again on the new one, and the waiting publish answers 200', async () => {
    const hub = freshHub()
    const old = await linkHome(hub)
    const pending = publish(hub, 'home/lamp/set', 'once')
    await old.next('publish') // never acknowledged: the old link is dead
    const fresh = await linkHome(hub)
    const again = await fresh.next('publish')
    expect([text(again.payload), again.dup]).toEqual(['once', true])
    fresh.send({ cmd: 'puback', messageId: again.messageId })
    expect((await pending).status).toBe(200)
    await eventually(async () => expect((await health(hub)).link.queued).toBe(0))
    fresh.close()
  })
})

describe('the edge enforcing the link keep-alive', () => {
  it('answers 202 queued after the ack timeout when home is silent, and says the link is unknown, not online', async () => {
    const hub = freshHub()
    const home = await linkHome(hub, { keepalive: 60 })
    // The test vars set the ack timeout to 1 s; home never acknowledges.
    const res = await publish(hub, 'home/lamp/set', 'on')
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ queued: true })
    const h = await health(hub)
    expect([h.status, h.link.home]).toEqual(['degraded', 'unknown'])
    home.close()
  })

  it('closes a link silent for 1.5 times its keep-alive from the alarm, and reports home offline [MQTT-3.1.2-22]', async () => {
    const hub = freshHub()
    const home = await linkHome(hub, { keepalive: 2 })
    const alarm = await inHub(hub, (h, state) => state.storage.getAlarm())
    expect(alarm).not.toBeNull()
    // 3.1 s later: past 1.5 times the 2 s keep-alive.
    await inHub(hub, (h) => {
      h.now = () => Date.now() + 3100
    })
    await runDurableObjectAlarm(hub)
    const disconnect = await home.next('disconnect')
    expect(disconnect.reasonCode).toBe(0x8d)
    expect(await home.closed).toBeGreaterThan(0)
    const h = await health(hub)
    expect([h.status, h.link.home]).toEqual(['degraded', 'offline'])
  })

  it('keeps a link that sends within its keep-alive', async () => {
    const hub = freshHub()
    const home = await linkHome(hub, { keepalive: 2 })
    home.send({ cmd: 'pingreq' })
    await home.next('pingresp')
    await runDurableObjectAlarm(hub)
    expect((await health(hub)).link.home).toBe('online')
    home.close()
  })
})
