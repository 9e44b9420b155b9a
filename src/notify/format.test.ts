import { describe, expect, it } from 'vitest'
import { alertFor, clockTime, summaryAlert, testAlert } from './format.js'
import type { SensorEvent } from './model.js'

const utc = () => 0
const workshop = { id: 'workshop', name: 'Workshop door', topic: 'home/workshop/door' }
const at = Date.UTC(2024, 2, 1, 14, 3, 12)
const event = (e: Partial<SensorEvent>): SensorEvent => ({ id: 'e1', sensorId: 'workshop', kind: 'opened', at, ...e })

describe('alertFor', () => {
  it('titles and times a door opening with its battery (the issue example)', () => {
    const a = alertFor(workshop, event({ door: 'open', battery: { value: 3.71, unit: 'V' } }), utc, 'a1')
    expect([a.title, a.body, a.priority]).toEqual(['Workshop door opened', 'at 14:03:12 · battery 3.71 V', 3])
    expect(a.tags).toEqual(['door', 'unlock'])
    expect(a.sensor).toEqual(workshop)
  })

  it('writes the time in local time', () => {
    expect(alertFor(workshop, event({}), () => 60, 'a1').body).toBe('at 15:03:12')
  })

  it('raises a quiet-hours opening to priority 5 with an alarm tag', () => {
    const night = { ...workshop, quietHours: { from: '13:00', to: '15:00' } }
    const a = alertFor(night, event({}), utc, 'a1')
    expect(a.priority).toBe(5)
    expect(a.tags).toContain('rotating_light')
  })

  it('mentions the flapping that a debounced event stands for', () => {
    expect(alertFor(workshop, event({ kind: 'closed', details: { changes: 4 } }), utc, 'a1').body).toBe('at 14:03:12 after 5 quick changes')
  })

  it('describes each event kind', () => {
    const day = 86_400_000
    const cases: [Partial<SensorEvent>, string, string][] = [
      [
        { kind: 'battery_low', battery: { value: 3.28, unit: 'V' }, details: { threshold: 3.3 } },
        'Workshop door battery low',
        'at 14:03:12 · 3.28 V, below 3.30 V',
      ],
      [
        { kind: 'silent', battery: { value: 3.6, unit: 'V' }, details: { lastSeenAt: at - 2 * day, heartbeatMs: day } },
        'Workshop door is silent',
        'no message since 2024-02-28 14:03:12 · heartbeat 24h · last battery 3.60 V',
      ],
      [
        { kind: 'back', battery: { value: 80, unit: '%' }, details: { silentForMs: 2 * day + 3 * 3_600_000 } },
        'Workshop door is back',
        'at 14:03:12 after 2d 3h without a message · battery 80%',
      ],
      [{ kind: 'will' }, 'Workshop door lost its connection', 'Last Will at 14:03:12'],
    ]
    for (const [e, title, body] of cases) {
      const a = alertFor(workshop, event(e), utc, 'a1')
      expect([a.title, a.body]).toEqual([title, body])
    }
  })

  it('adds the click URL of the sensor', () => {
    expect(alertFor({ ...workshop, click: 'http://cam.lan/' }, event({}), utc, 'a1').click).toBe('http://cam.lan/')
  })
})

describe('testAlert and summaryAlert', () => {
  it('says which channel the test went through', () => {
    expect(testAlert('phone', at, utc, 't1').body).toContain('"phone"')
  })

  it('summarises held alerts with their count and keeps the highest priority', () => {
    const held = [1, 2, 3].map((i) => ({
      ...alertFor(workshop, event({ at: at + i * 1000 }), utc, `a${i}`),
      priority: i === 2 ? (5 as const) : (3 as const),
    }))
    const s = summaryAlert(held, 7, 20, at + 3_600_000, utc, 's1')
    expect(s.title).toBe('7 alerts held back')
    expect(s.body).toContain('more than 20 alerts in an hour')
    expect(s.body).toContain('Workshop door opened (14:03:13)')
    expect(s.body).toContain('and 4 more')
    expect(s.priority).toBe(5)
  })

  it('formats a clock time with leading zeros', () => {
    expect(clockTime(Date.UTC(2024, 0, 1, 3, 4, 5), utc)).toBe('03:04:05')
  })
})
