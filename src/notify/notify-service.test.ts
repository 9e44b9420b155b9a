import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import { MemoryNotifierStore } from '../testing/memory-notifier-store.js'
import { MemorySensorStore } from '../testing/memory-sensor-store.js'
import { RecordingFetch, ReplayingBus, startNotifyHarness, type HarnessOptions } from '../testing/notify-harness.js'
import { TestClock } from '../testing/test-clock.js'
import { sensorSchema, notifierSchema } from './config.js'

const HOUR = 3_600_000
const phone = { id: 'phone', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' }
const workshop = { id: 'workshop', name: 'Workshop door', topic: 'home/workshop/door', heartbeat: '24h', notify: ['phone'] }

async function withWorkshop(extra: Partial<typeof workshop> & Record<string, unknown> = {}, o: HarnessOptions = {}) {
  const h = await startNotifyHarness(o)
  await h.service.createNotifier(notifierSchema.parse(phone))
  await h.service.createSensor(sensorSchema.parse({ ...workshop, ...extra }))
  return h
}
const kinds = async (h: Awaited<ReturnType<typeof startNotifyHarness>>, id = 'workshop') =>
  (await h.service.sensorEvents(id, { limit: 100 })).map((e) => e.kind).reverse()

describe('notify service', () => {
  it('alerts the sensor notifiers when the door opens and stores the event', async () => {
    const h = await withWorkshop()
    await h.publish('home/workshop/door', '{"state":"open","battery":3.71}')
    expect(h.http.bodies).toEqual([
      { topic: 'doors', title: 'Workshop door opened', message: 'at 12:00:00 · battery 3.71 V', priority: 3, tags: ['door', 'unlock'] },
    ])
    const [event] = await h.service.sensorEvents('workshop', { limit: 10 })
    expect(event).toMatchObject({ kind: 'opened', at: new Date(h.clock.now()).toISOString(), door: 'open' })
    const view = await h.service.getSensor('workshop')
    expect(view).toMatchObject({ state: 'open', battery: { value: 3.71, unit: 'V' }, online: true, lastSeen: new Date(h.clock.now()).toISOString() })
  })

  it('fires the dead-man alarm after heartbeat x 1.5 on its own timer, then back on the next message', async () => {
    const h = await withWorkshop()
    await h.publish('home/workshop/door', 'closed')
    await h.advance(36 * HOUR - 1)
    expect(await kinds(h)).toEqual(['closed'])
    await h.advance(1)
    expect(await kinds(h)).toEqual(['closed', 'silent'])
    expect(await h.service.getSensor('workshop')).toMatchObject({ online: false, silent: true })
    await h.publish('home/workshop/door', '{"battery":3.6}')
    expect(await kinds(h)).toEqual(['closed', 'silent', 'back'])
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Workshop door closed', 'Workshop door is silent', 'Workshop door is back'])
  })

  it('detects silence that ran out while it was stopped, at the next start', async () => {
    const clock = new TestClock()
    const sensorStore = new MemorySensorStore()
    const notifierStore = new MemoryNotifierStore()
    const first = await withWorkshop({}, { clock, sensorStore, notifierStore })
    await first.publish('home/workshop/door', 'closed')
    await first.service.close()
    await clock.advance(48 * HOUR) // down for two days: no timers run
    const http = new RecordingFetch()
    const second = await startNotifyHarness({ clock, sensorStore, notifierStore, fetch: http })
    expect(await kinds(second)).toEqual(['closed', 'silent'])
    expect(http.bodies.map((b) => b.title)).toEqual(['Workshop door is silent'])
    // and not again at the start after that
    await second.service.close()
    const third = await startNotifyHarness({ clock, sensorStore, notifierStore })
    expect(await kinds(third)).toEqual(['closed', 'silent'])
  })

  it('does not let a retained copy replayed on subscribe reset the dead-man timer', async () => {
    const clock = new TestClock()
    const sensorStore = new MemorySensorStore()
    const notifierStore = new MemoryNotifierStore()
    const bus = new ReplayingBus()
    const first = await withWorkshop({}, { clock, sensorStore, notifierStore, bus })
    await first.publish('home/workshop/door', 'closed', true)
    await first.service.close()
    await clock.advance(30 * HOUR)
    const second = await startNotifyHarness({ clock, sensorStore, notifierStore, bus })
    await second.advance(6 * HOUR)
    expect(await kinds(second)).toEqual(['closed', 'silent'])
  })

  it('debounces a flapping door into one alert', async () => {
    const h = await withWorkshop()
    for (let i = 0; i < 10; i++) {
      await h.publish('home/workshop/door', i % 2 === 0 ? 'open' : 'closed')
      await h.advance(100)
    }
    await h.publish('home/workshop/door', 'open')
    await h.advance(5000)
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Workshop door opened'])
  })

  it('sends the closing at the end of the debounce window when flapping ends closed', async () => {
    const h = await withWorkshop()
    await h.publish('home/workshop/door', 'open')
    await h.advance(300)
    await h.publish('home/workshop/door', 'closed')
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Workshop door opened'])
    await h.advance(2000)
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Workshop door opened', 'Workshop door closed'])
  })

  it('raises a door opening in quiet hours to priority 5', async () => {
    const h = await withWorkshop({ quietHours: { from: '11:00', to: '13:00' } })
    await h.publish('home/workshop/door', 'open')
    expect(h.http.bodies[0]).toMatchObject({ priority: 5, tags: ['door', 'unlock', 'rotating_light'] })
  })

  it('records a Last Will arriving on a separate will topic, and treats "online" there as a sign of life only', async () => {
    const h = await withWorkshop({ willTopic: 'home/workshop/status' })
    await h.publish('home/workshop/status', 'online')
    await h.publish('home/workshop/status', 'offline')
    expect(await kinds(h)).toEqual(['will'])
    expect((await h.service.getSensor('workshop')).state).toBeNull()
  })

  it('records every event but alerts only on the kinds in alertOn', async () => {
    const h = await withWorkshop({ alertOn: ['opened'] })
    await h.publish('home/workshop/door', 'open')
    await h.advance(10_000)
    await h.publish('home/workshop/door', 'closed')
    expect(await kinds(h)).toEqual(['opened', 'closed'])
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Workshop door opened'])
  })

  it('estimates battery days from the trend', async () => {
    const h = await withWorkshop()
    for (let day = 0; day <= 10; day++) {
      await h.publish('home/workshop/door', JSON.stringify({ battery: 3.9 - 0.01 * day }))
      await h.advance(24 * HOUR)
    }
    // last reading 3.80 V one day ago, falling 0.01 V/day: 3.79 now, 49 days to 3.3 V
    expect((await h.service.getSensor('workshop')).batteryDaysLeft).toBeCloseTo(49, 1)
  })

  it('follows a replaced sensor to its new topic and forgets a deleted one', async () => {
    const h = await withWorkshop()
    await h.service.replaceSensor('workshop', sensorSchema.parse({ ...workshop, topic: 'home/shed/door' }))
    await h.publish('home/workshop/door', 'open')
    await h.publish('home/shed/door', 'open')
    expect(await kinds(h)).toEqual(['opened'])
    await h.service.deleteSensor('workshop')
    expect(h.bus.subscriberCount).toBe(0)
    await expect(h.service.getSensor('workshop')).rejects.toMatchObject({ status: 404 })
  })

  it('refuses to delete a notifier a sensor still uses', async () => {
    const h = await withWorkshop()
    await expect(h.service.deleteNotifier('phone')).rejects.toMatchObject({ status: 409, code: 40904 })
  })

  it('refuses a sensor naming an unknown notifier', async () => {
    const h = await startNotifyHarness()
    const err = await h.service.createSensor(sensorSchema.parse({ ...workshop, notify: ['nope'] })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).detail).toBe('notify: unknown notifier "nope"')
  })

  it('sends a test alert once and records it', async () => {
    const h = await withWorkshop()
    h.http.answer = () => 403
    expect(await h.service.testNotifier('phone')).toMatchObject({ ok: false, status: 403, retryable: false })
    expect((await h.service.deliveries('phone', { limit: 10 })).map((d) => d.outcome)).toEqual(['test'])
  })

  it('retries a failed alert and records the attempts', async () => {
    const h = await withWorkshop()
    h.http.answer = (_, i) => (i === 0 ? 500 : 200)
    await h.publish('home/workshop/door', 'open')
    await h.advance(10_000)
    expect((await h.service.deliveries('phone', { limit: 10 })).map((d) => [d.outcome, d.status]).reverse()).toEqual([
      ['retrying', 500],
      ['sent', 200],
    ])
  })
})

describe('notify service configuration', () => {
  const problems = async (o: HarnessOptions) => {
    const err = await startNotifyHarness(o).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }

  it('names a sensor key that refers to an unknown notifier', async () => {
    expect(await problems({ notifiers: [phone], sensors: [{ ...workshop, notify: ['phone', 'pager'] }] })).toEqual([
      'sensors.0.notify.1: unknown notifier "pager"',
    ])
  })

  it('names a secret whose environment variable is not set', async () => {
    const gotify = { id: 'g', type: 'gotify', server: 'http://gotify.lan', token: 'env:GOTIFY_TOKEN' }
    expect(await problems({ notifiers: [gotify] })).toEqual(['notifiers.0.token: environment variable GOTIFY_TOKEN is not set'])
  })

  it('reads secrets from the environment when sending', async () => {
    const gotify = { id: 'g', type: 'gotify', server: 'http://gotify.lan', token: 'env:GOTIFY_TOKEN' }
    const h = await startNotifyHarness({ notifiers: [gotify], sensors: [{ ...workshop, notify: ['g'] }], env: { GOTIFY_TOKEN: 'from-env' } })
    await h.publish('home/workshop/door', 'open')
    expect(h.http.requests[0]!.headers['x-gotify-key']).toBe('from-env')
    expect(await h.service.getNotifier('g')).toMatchObject({ token: 'env:GOTIFY_TOKEN' })
  })

  it('owns what the config file declares: the API may not change it, and it goes when the file drops it', async () => {
    const sensorStore = new MemorySensorStore()
    const notifierStore = new MemoryNotifierStore()
    const h = await startNotifyHarness({ notifiers: [phone], sensors: [workshop], sensorStore, notifierStore })
    await expect(h.service.deleteSensor('workshop')).rejects.toMatchObject({ status: 409, code: 40903 })
    await expect(h.service.replaceNotifier('phone', notifierSchema.parse(phone))).rejects.toMatchObject({ status: 409 })
    await h.service.close()
    const again = await startNotifyHarness({ notifiers: [phone], sensors: [], sensorStore, notifierStore })
    expect(await again.service.listSensors()).toEqual([])
    expect((await again.service.listNotifiers()).map((n) => n.id)).toEqual(['phone'])
  })

  it("keeps a declared sensor's updatedAt across a restart with the same file, and moves it when the file changes it", async () => {
    const sensorStore = new MemorySensorStore()
    const notifierStore = new MemoryNotifierStore()
    const clock = new TestClock()
    const first = await startNotifyHarness({ notifiers: [phone], sensors: [workshop], sensorStore, notifierStore, clock })
    const created = (await sensorStore.get('workshop'))!
    await first.service.close()
    await clock.advance(HOUR)
    const same = await startNotifyHarness({ notifiers: [phone], sensors: [workshop], sensorStore, notifierStore, clock })
    expect(await sensorStore.get('workshop')).toEqual(created)
    await same.service.close()
    await clock.advance(HOUR)
    const renamed = await startNotifyHarness({ notifiers: [phone], sensors: [{ ...workshop, name: 'Shed door' }], sensorStore, notifierStore, clock })
    expect(await sensorStore.get('workshop')).toMatchObject({
      name: 'Shed door',
      createdAt: created.createdAt,
      updatedAt: created.createdAt + 2 * HOUR,
    })
    await renamed.service.close()
  })

  it('sends an alert no sensor raised through the named notifiers, skipping unknown ones', async () => {
    const h = await withWorkshop()
    const alert = {
      id: 'a1',
      title: 'Postbridge home link is down since 12:00',
      body: 'no link',
      priority: 4 as const,
      tags: ['warning'],
      at: h.clock.now(),
    }
    h.service.sendAlert(['phone', 'nobody'], alert)
    await h.service.settled()
    expect(h.http.bodies.map((b) => b.title)).toEqual(['Postbridge home link is down since 12:00'])
    expect((await h.service.deliveries('phone', { limit: 10 })).map((d) => d.outcome)).toEqual(['sent'])
  })
})
