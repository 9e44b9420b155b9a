import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { describeBus } from '../../src/testing/bus-contract.js'
import { echoHome } from '../testing/echo-home.js'
import { api, bytes, eventually, inHub, linkHome, text } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())
const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
const MINUTE = 60_000
const lastSeen = async (hub: DurableObjectStub) => ((await (await api(hub, '/v1/sensors/front')).json()) as { lastSeen: string | null }).lastSeen

describe('the edge hub Bus fans out through the shared subscriber set', () => {
  it('hands a live retained message to subscribers with retain false, and as published only to Retain As Published [MQTT-3.3.1-9] [MQTT-3.3.1-12]', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    await inHub(hub, async (h) => {
      const g = globalThis as { plain?: Message[]; rap?: Message[] }
      g.plain = []
      g.rap = []
      await h.bus.subscribe(['house/#'], (m) => g.plain!.push(m))
      await h.bus.subscribe(['house/#'], (m) => g.rap!.push(m), { retainAsPublished: true })
    })
    home.send({ cmd: 'publish', topic: 'house/lamp', payload: bytes('on'), qos: 1, messageId: 1, retain: true, dup: false })
    await home.next('puback')
    const seen = await inHub(hub, () => {
      const g = globalThis as { plain?: Message[]; rap?: Message[] }
      return { plain: g.plain!.map((m) => [m.topic, text(m.payload), m.retain]), rap: g.rap!.map((m) => [m.topic, text(m.payload), m.retain]) }
    })
    expect(seen.plain).toEqual([['house/lamp', 'on', false]])
    expect(seen.rap).toEqual([['house/lamp', 'on', true]])
    home.close()
  })

  it('refuses the invalid filter a/#/b [MQTT-4.7.1-1]', async () => {
    const refused = await inHub(freshHub(), (h) =>
      h.bus
        .subscribe(['a/#/b'], () => {})
        .then(
          () => 'accepted',
          (err: unknown) => String(err),
        ),
    )
    expect(refused).toMatch(/a\/#\/b/)
  })

  it('keeps delivering to the others and keeps the link when a subscriber throws', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    await inHub(hub, async (h) => {
      const g = globalThis as { calm?: string[] }
      g.calm = []
      await h.bus.subscribe(['t/#'], () => {
        throw new Error('subscriber bug')
      })
      await h.bus.subscribe(['t/#'], (m) => g.calm!.push(text(m.payload)))
    })
    home.send({ cmd: 'publish', topic: 't/1', payload: bytes('one'), qos: 1, messageId: 1, retain: false, dup: false })
    await home.next('puback')
    home.send({ cmd: 'publish', topic: 't/2', payload: bytes('two'), qos: 1, messageId: 2, retain: false, dup: false })
    await home.next('puback')
    expect(await inHub(hub, () => (globalThis as { calm?: string[] }).calm)).toEqual(['one', 'two'])
    home.close()
  })

  it('raises no dead-man alert for retained heartbeats 50 minutes apart to a sensor with a 1 h heartbeat', async () => {
    const hub = freshHub()
    const start = Date.now()
    await inHub(hub, (h) => {
      h.now = () => start
    })
    expect((await api(hub, '/v1/sensors', post({ id: 'front', name: 'Front door', topic: 'home/door/front', heartbeat: '1h' }))).status).toBe(201)
    // No keep-alive: the test's clock jumps 50 minutes, which the edge would rightly take for a dead link.
    const home = await linkHome(hub, { keepalive: 0 })
    for (let i = 0; i < 3; i++) {
      const at = start + i * 50 * MINUTE
      // Move the clock and run whatever the notifier had due by then, as the Durable Object alarm would.
      await inHub(hub, async (h) => {
        h.now = () => at
        await h.alarm()
      })
      home.send({ cmd: 'publish', topic: 'home/door/front', payload: bytes('closed'), qos: 1, messageId: i + 1, retain: true, dup: false })
      await home.next('puback')
      // Counted as a sign of life once the monitor has read it (a copy taken for old news is never counted).
      await eventually(async () => expect(await lastSeen(hub)).toBe(new Date(at).toISOString()), 1500).catch(() => {})
    }
    const body = (await (await api(hub, '/v1/sensors/front/events')).json()) as { events: { kind: string }[] }
    expect(body.events.map((e) => e.kind)).toEqual(['closed'])
    expect(await lastSeen(hub)).toBe(new Date(start + 100 * MINUTE).toISOString())
    home.close()
  })
})

describeBus(
  'the edge hub over the link (workerd)',
  async () => {
    const echo = await echoHome(freshHub())
    return { bus: echo.bus, deliversBeforeAck: false, close: async () => echo.close() }
  },
  // One at a time: concurrent runInDurableObject calls may start in any order under vitest-pool-workers, so their
  // publishes would not be one publisher's order. The end-to-end test against wrangler dev checks a burst.
  { timeoutMs: 10_000, maxInFlight: 1 },
)
