/** Contract suites for SensorStore and NotifierStore: every adapter (memory, SQLite, Durable Object) runs them. */
import { describe, expect, it } from 'vitest'
import { notifierSchema, sensorSchema } from '../notify/config.js'
import { initialState, type SensorEvent } from '../notify/model.js'
import { MAX_HISTORY, type DeliveryRecord, type NotifierRecord, type NotifierStore, type SensorRecord, type SensorStore } from '../notify/ports.js'

const T0 = Date.UTC(2024, 2, 1, 12)
const sensor = (id: string, extra: Record<string, unknown> = {}): SensorRecord => ({
  ...sensorSchema.parse({
    id,
    name: `Door ${id}`,
    topic: `home/${id}/door`,
    heartbeat: '24h',
    batteryLow: '20%',
    quietHours: { from: '23:00', to: '07:00' },
    ...extra,
  }),
  source: 'api',
  createdAt: T0,
  updatedAt: T0,
})
const event = (sensorId: string, i: number): SensorEvent => ({
  id: `${sensorId}-e${i}`,
  sensorId,
  kind: i % 2 ? 'opened' : 'closed',
  at: T0 + i * 1000,
  door: i % 2 ? 'open' : 'closed',
  details: { changes: i },
})

export function describeSensorStore(name: string, make: () => SensorStore | Promise<SensorStore>): void {
  describe(`SensorStore contract: ${name}`, () => {
    it('puts, gets, lists and replaces definitions as they were given', async () => {
      const store = await make()
      await store.put(sensor('b'))
      await store.put(sensor('a', { willTopic: 'home/a/status', alertOn: ['opened'] }))
      expect(await store.get('a')).toEqual(sensor('a', { willTopic: 'home/a/status', alertOn: ['opened'] }))
      expect((await store.list()).map((s) => s.id).sort()).toEqual(['a', 'b'])
      await store.put({ ...sensor('a'), name: 'Renamed', source: 'config' })
      expect(await store.get('a')).toMatchObject({ name: 'Renamed', source: 'config' })
      expect(await store.get('missing')).toBeUndefined()
    })

    it('commits state and events together, and reads events newest first with limit and before', async () => {
      const store = await make()
      await store.put(sensor('a'))
      const state = {
        ...initialState(T0),
        door: 'open' as const,
        lastSeenAt: T0 + 5,
        battery: { value: 3.7, unit: 'V' as const, at: T0 },
        batterySamples: [{ at: T0, value: 3.7 }],
      }
      await store.commit('a', state, [event('a', 1), event('a', 2)])
      await store.commit('a', state, [event('a', 3)])
      expect(await store.state('a')).toEqual(state)
      expect((await store.events('a', { limit: 10 })).map((e) => e.id)).toEqual(['a-e3', 'a-e2', 'a-e1'])
      expect((await store.events('a', { limit: 1 })).map((e) => e.id)).toEqual(['a-e3'])
      expect((await store.events('a', { limit: 10, before: T0 + 3000 })).map((e) => e.id)).toEqual(['a-e2', 'a-e1'])
      expect((await store.events('a', { limit: 10 }))[2]).toEqual(event('a', 1))
      expect(await store.state('other')).toBeUndefined()
    })

    it('removes a sensor with its state and events', async () => {
      const store = await make()
      await store.put(sensor('a'))
      await store.commit('a', initialState(T0), [event('a', 1)])
      expect(await store.remove('a')).toBe(true)
      expect(await store.remove('a')).toBe(false)
      expect([await store.get('a'), await store.state('a'), await store.events('a', { limit: 10 })]).toEqual([undefined, undefined, []])
    })

    it(`keeps the newest ${MAX_HISTORY} events per sensor`, async () => {
      const store = await make()
      await store.put(sensor('a'))
      const events = Array.from({ length: MAX_HISTORY + 5 }, (_, i) => event('a', i))
      await store.commit('a', initialState(T0), events)
      const kept = await store.events('a', { limit: MAX_HISTORY + 10 })
      expect(kept).toHaveLength(MAX_HISTORY)
      expect(kept.at(-1)!.id).toBe('a-e5')
    })
  })
}

const notifier = (id: string): NotifierRecord => ({
  ...notifierSchema.parse({ id, type: 'telegram', botToken: 'env:TG', chatId: -100123 }),
  source: 'api',
  createdAt: T0,
  updatedAt: T0,
})
const delivery = (notifierId: string, i: number): DeliveryRecord => ({
  id: `${notifierId}-d${i}`,
  notifierId,
  alertId: `alert${i}`,
  title: 'Door opened',
  eventId: `e${i}`,
  attempt: 1,
  at: T0 + i * 1000,
  outcome: i % 2 ? 'sent' : 'retrying',
  ok: i % 2 === 1,
  status: i % 2 ? 200 : 500,
  ...(i % 2 ? {} : { error: 'boom', retryInMs: 2000 }),
})

export function describeNotifierStore(name: string, make: () => NotifierStore | Promise<NotifierStore>): void {
  describe(`NotifierStore contract: ${name}`, () => {
    it('puts, gets, lists and removes notifiers as they were given', async () => {
      const store = await make()
      await store.put(notifier('b'))
      await store.put(notifier('a'))
      expect(await store.get('a')).toEqual(notifier('a'))
      expect((await store.list()).map((n) => n.id).sort()).toEqual(['a', 'b'])
      expect(await store.remove('a')).toBe(true)
      expect(await store.remove('a')).toBe(false)
      expect(await store.get('a')).toBeUndefined()
    })

    it('records deliveries and reads them newest first, per notifier, with limit and before', async () => {
      const store = await make()
      await store.put(notifier('a'))
      await store.put(notifier('b'))
      for (let i = 1; i <= 3; i++) await store.recordDelivery(delivery('a', i))
      await store.recordDelivery(delivery('b', 9))
      expect((await store.deliveries('a', { limit: 10 })).map((d) => d.id)).toEqual(['a-d3', 'a-d2', 'a-d1'])
      expect((await store.deliveries('a', { limit: 10, before: T0 + 2000 })).map((d) => d.id)).toEqual(['a-d1'])
      expect((await store.deliveries('a', { limit: 10 }))[1]).toEqual(delivery('a', 2))
      await store.remove('a')
      expect(await store.deliveries('a', { limit: 10 })).toEqual([])
      expect(await store.deliveries('b', { limit: 10 })).toHaveLength(1)
    })
  })
}
