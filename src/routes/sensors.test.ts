import { describe, expect, it } from 'vitest'
import { startNotifyHarness } from '../testing/notify-harness.js'
import { createTestApp } from '../testing/test-app.js'

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
const workshop = { id: 'workshop', name: 'Workshop door', topic: 'home/workshop/door', heartbeat: '24h', batteryLow: 3.3, notify: ['phone'] }
const phone = { id: 'phone', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' }

async function setup() {
  const h = await startNotifyHarness()
  const t = await createTestApp({ notify: h.service })
  expect((await t.call('/v1/notifiers', json(phone))).status).toBe(201)
  return { ...t, h }
}

describe('/v1/sensors', () => {
  it('creates a sensor and shows it with state, battery, days left, last seen and online', async () => {
    const t = await setup()
    const res = await t.call('/v1/sensors', json(workshop))
    expect(res.status).toBe(201)
    await t.h.publish('home/workshop/door', '{"state":"open","battery":3.71}')
    const list = (await (await t.call('/v1/sensors')).json()) as { sensors: Record<string, unknown>[] }
    expect(list.sensors).toEqual([
      expect.objectContaining({
        id: 'workshop',
        heartbeat: '24h',
        batteryLow: 3.3,
        debounce: '2s',
        source: 'api',
        state: 'open',
        battery: { value: 3.71, unit: 'V', at: new Date(t.h.clock.now()).toISOString() },
        batteryDaysLeft: null,
        lastSeen: new Date(t.h.clock.now()).toISOString(),
        online: true,
        silent: false,
      }),
    ])
  })

  it('lists events newest first with their times, and pages back with before', async () => {
    const t = await setup()
    await t.call('/v1/sensors', json(workshop))
    await t.h.publish('home/workshop/door', 'open')
    await t.h.advance(60_000)
    await t.h.publish('home/workshop/door', 'closed')
    const { events } = (await (await t.call('/v1/sensors/workshop/events')).json()) as { events: { kind: string; at: string }[] }
    expect(events.map((e) => e.kind)).toEqual(['closed', 'opened'])
    const older = (await (await t.call(`/v1/sensors/workshop/events?before=${encodeURIComponent(events[0]!.at)}`)).json()) as {
      events: { kind: string }[]
    }
    expect(older.events.map((e) => e.kind)).toEqual(['opened'])
  })

  it.each([
    [{ ...workshop, heartbeat: 'daily' }, 'heartbeat: "daily" is not a duration (use 90s, 15m, 24h or 7d)'],
    [{ ...workshop, topic: 'home/+/door' }, 'topic: topic name contains a wildcard (+ or #)'],
    [{ ...workshop, quietHours: { from: '23:00', to: '7am' } }, 'quietHours.to: use HH:MM, 24-hour clock'],
    [{ ...workshop, batteryLow: 'low' }, 'batteryLow: "low" is not a battery level'],
    [{ ...workshop, colour: 'red' }, 'unknown field(s) "colour"'],
    [{ ...workshop, notify: ['pager'] }, 'notify: unknown notifier "pager"'],
  ])('answers 400 problem+json for bad input (%#) and changes nothing', async (body, detail) => {
    const t = await setup()
    const res = await t.call('/v1/sensors', json(body))
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(((await res.json()) as { detail: string }).detail).toContain(detail)
    expect(((await (await t.call('/v1/sensors')).json()) as { sensors: unknown[] }).sensors).toEqual([])
  })

  it('answers 409 for an existing id and 404 for an unknown one', async () => {
    const t = await setup()
    await t.call('/v1/sensors', json(workshop))
    expect((await t.call('/v1/sensors', json(workshop))).status).toBe(409)
    expect((await t.call('/v1/sensors/nope')).status).toBe(404)
    expect((await t.call('/v1/sensors/nope', { method: 'DELETE' })).status).toBe(404)
  })

  it('replaces and deletes a sensor', async () => {
    const t = await setup()
    await t.call('/v1/sensors', json(workshop))
    const put = await t.call('/v1/sensors/workshop', json({ ...workshop, name: 'Shed door' }, 'PUT'))
    expect(put.status).toBe(200)
    expect(((await put.json()) as { name: string }).name).toBe('Shed door')
    expect((await t.call('/v1/sensors/workshop', json({ ...workshop, id: 'other' }, 'PUT'))).status).toBe(400)
    expect((await t.call('/v1/sensors/workshop', { method: 'DELETE' })).status).toBe(204)
    expect((await t.call('/v1/sensors/workshop')).status).toBe(404)
  })

  it('needs admin to write, and a read scope matching the topic to read', async () => {
    const t = await setup()
    await t.call('/v1/sensors', json(workshop))
    await t.call('/v1/sensors', json({ ...workshop, id: 'front', topic: 'home/front/door' }))
    const reader = await t.mint({ read: ['home/workshop/#'] })
    expect((await t.call('/v1/sensors', { ...json({ ...workshop, id: 'x' }), token: reader })).status).toBe(403)
    const list = (await (await t.call('/v1/sensors', { token: reader })).json()) as { sensors: { id: string }[] }
    expect(list.sensors.map((s) => s.id)).toEqual(['workshop'])
    expect((await t.call('/v1/sensors/workshop/events', { token: reader })).status).toBe(200)
    expect((await t.call('/v1/sensors/front', { token: reader })).status).toBe(403)
    expect((await t.call('/v1/sensors', { token: await t.mint({}) })).status).toBe(403)
  })

  it('answers 501 where the notifier is not running', async () => {
    const t = await createTestApp({})
    const res = await t.call('/v1/sensors')
    expect(res.status).toBe(501)
    expect(((await res.json()) as { code: number }).code).toBe(50101)
    expect((await t.call('/v1/notifiers')).status).toBe(501)
  })
})
