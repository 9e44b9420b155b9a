import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { RecordingFetch } from '../src/testing/notify-harness.js'
import { api, bytes, eventually, inHub, linkHome } from './testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())
const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

/** A hub whose alerts go to a recording fetch, with an ntfy notifier whose token is an `env:` reference to a binding. */
async function hubWithPhone(sensor: Record<string, unknown>) {
  const hub = freshHub()
  const phone = new RecordingFetch()
  await inHub(hub, (h) => {
    h.outboundFetch = phone.fetch
  })
  const notifier = await api(
    hub,
    '/v1/notifiers',
    post({ id: 'phone', type: 'ntfy', server: 'https://ntfy.test', topic: 'doors-7f3k2q', token: 'env:POSTBRIDGE_SECRET_EDGE_NTFY' }),
  )
  expect(notifier.status).toBe(201)
  const created = await api(hub, '/v1/sensors', post({ id: 'front', name: 'Front door', topic: 'home/door/front', notify: ['phone'], ...sensor }))
  expect(created.status).toBe(201)
  return { hub, phone }
}

const eventKinds = async (hub: DurableObjectStub) => {
  const body = (await (await api(hub, '/v1/sensors/front/events')).json()) as { events: { kind: string }[] }
  return body.events.map((e) => e.kind)
}

describe('door-sensor alerts at the edge', () => {
  it('turns a sensor message that came up the link into an opened event and an ntfy request', async () => {
    const { hub, phone } = await hubWithPhone({})
    const home = await linkHome(hub)
    home.send({
      cmd: 'publish',
      topic: 'home/door/front',
      payload: bytes('{"state":"open","battery":3.7}'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    })
    await home.next('puback')
    await eventually(async () => expect(await eventKinds(hub)).toEqual(['opened']))
    await eventually(async () => expect(phone.requests).toHaveLength(1))
    const [sent] = phone.requests
    expect(sent!.url).toBe('https://ntfy.test/')
    // The `env:` reference was read from the Worker's bindings when the alert was sent.
    expect(sent!.headers.authorization).toBe('Bearer tk_edge_test_token')
    expect(JSON.parse(sent!.body)).toMatchObject({ topic: 'doors-7f3k2q', title: 'Front door opened' })
    const view = (await (await api(hub, '/v1/sensors/front')).json()) as { state: string; online: unknown }
    expect(view.state).toBe('open')
    const deliveries = (await (await api(hub, '/v1/notifiers/phone/deliveries')).json()) as { deliveries: { outcome: string }[] }
    expect(deliveries.deliveries.map((d) => d.outcome)).toEqual(['sent'])
    home.close()
  })

  it('hides a plain secret given through the API and refuses an env reference to a missing binding', async () => {
    const hub = freshHub()
    const plain = await api(hub, '/v1/notifiers', post({ id: 'tg', type: 'telegram', botToken: '123:plain-secret', chatId: 42 }))
    expect(plain.status).toBe(201)
    expect(await plain.text()).not.toContain('plain-secret')
    const missing = await api(hub, '/v1/notifiers', post({ id: 'gt', type: 'gotify', server: 'https://gotify.test', token: 'env:NOT_A_BINDING' }))
    expect(missing.status).toBe(400)
  })

  it('fires the dead-man alarm from the Durable Object alarm, with no request arriving', async () => {
    // A 1 s heartbeat: silent after 1.5 s of nothing.
    const { hub, phone } = await hubWithPhone({ heartbeat: '1s' })
    const alarm = await inHub(hub, (_h, state) => state.storage.getAlarm())
    expect(alarm).not.toBeNull()
    expect(alarm!).toBeLessThanOrEqual(Date.now() + 1500)
    await eventually(async () => expect(phone.requests).toHaveLength(1), 8000)
    expect(JSON.parse(phone.requests[0]!.body)).toMatchObject({ title: 'Front door is silent' })
    expect(await eventKinds(hub)).toEqual(['silent'])
  })

  it('fires the dead-man alarm after the object left memory, from the state it stored', async () => {
    const { hub: before } = await hubWithPhone({ heartbeat: '1s' })
    // Only this object: its memory (and the notifier's timers) is gone, its storage and its alarm stay.
    await inHub(before, (_h, state) => state.abort('evicted')).catch(() => {})
    await new Promise((r) => setTimeout(r, 2500))
    // A stub of an aborted object stays broken; a new one reaches the same object, back from its alarm.
    const hub = env.LINK_HUB.get(before.id)
    const askedAt = Date.now()
    const body = (await (await api(hub, '/v1/sensors/front/events')).json()) as { events: { kind: string; at: string }[] }
    expect(body.events.map((e) => e.kind)).toEqual(['silent'])
    // Recorded before anyone asked: the alarm brought the object back for it.
    expect(Date.parse(body.events[0]!.at)).toBeLessThan(askedAt)
  })
})
