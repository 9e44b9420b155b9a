import { describe, expect, it } from 'vitest'
import { evaluate, isOnline, nextDueAt, type SensorPolicy } from './evaluate.js'
import { initialState, type EventKind, type Input, type Reading, type SensorState } from './model.js'

const T0 = Date.UTC(2024, 2, 1, 12, 0, 0)
const HOUR = 3_600_000
const policy: SensorPolicy = { heartbeat: 24 * HOUR, debounce: 2000, batteryLow: { value: 3.3, unit: 'V' } }

/** Feeds inputs at the given times and collects the event kinds, as the service would. */
function run(steps: [number, Input][], sensor = policy, start = initialState(T0)): { state: SensorState; kinds: EventKind[] } {
  let state = start
  const kinds: EventKind[] = []
  for (const [at, input] of steps) {
    const r = evaluate(sensor, state, input, at)
    state = r.state
    kinds.push(...r.events.map((e) => e.kind))
  }
  return { state, kinds }
}
const msg = (reading: Reading): Input => ({ type: 'message', reading })
const door = (d: 'open' | 'closed') => msg({ door: d })
const volts = (value: number) => msg({ battery: { value, unit: 'V' } })
const tick: Input = { type: 'tick' }

describe('door events', () => {
  it('announces opened then closed, each with its time', () => {
    const r1 = evaluate(policy, initialState(T0), door('open'), T0 + 1000)
    expect(r1.events).toEqual([{ kind: 'opened', at: T0 + 1000, door: 'open' }])
    const r2 = evaluate(policy, r1.state, door('closed'), T0 + 60_000)
    expect(r2.events).toEqual([{ kind: 'closed', at: T0 + 60_000, door: 'closed' }])
  })

  it('says nothing when a heartbeat repeats the state', () => {
    expect(
      run([
        [T0, door('closed')],
        [T0 + HOUR, door('closed')],
        [T0 + 2 * HOUR, door('closed')],
      ]).kinds,
    ).toEqual(['closed'])
  })

  it('carries the latest battery reading in the door event', () => {
    const r = evaluate(policy, initialState(T0), msg({ door: 'open', battery: { value: 3.71, unit: 'V' } }), T0)
    expect(r.events).toEqual([{ kind: 'opened', at: T0, door: 'open', battery: { value: 3.71, unit: 'V' } }])
  })
})

describe('debounce', () => {
  it('turns ten flaps within the window that end open into one alert', () => {
    const steps: [number, Input][] = []
    for (let i = 0; i < 10; i++) steps.push([T0 + i * 150, door(i % 2 === 0 ? 'open' : 'closed')])
    steps.push([T0 + 9 * 150 + 1, door('open')])
    steps.push([T0 + 20_000, tick])
    expect(run(steps).kinds).toEqual(['opened'])
  })

  it('announces where the door ended up once the window closes, with the number of changes', () => {
    let r = evaluate(policy, initialState(T0), door('open'), T0)
    r = evaluate(policy, r.state, door('closed'), T0 + 300)
    r = evaluate(policy, r.state, door('open'), T0 + 600)
    r = evaluate(policy, r.state, door('closed'), T0 + 900)
    expect(r.events).toEqual([])
    // The window slides: it closes 2 s after the last change, not after the first.
    expect(nextDueAt(policy, r.state)).toBe(T0 + 900 + 2000)
    expect(evaluate(policy, r.state, tick, T0 + 2800).events).toEqual([])
    const end = evaluate(policy, r.state, tick, T0 + 2900)
    expect(end.events).toEqual([{ kind: 'closed', at: T0 + 2900, door: 'closed', details: { changes: 3 } }])
  })

  it('alerts at once on a change after the window has passed', () => {
    expect(
      run([
        [T0, door('open')],
        [T0 + 2000, door('closed')],
      ]).kinds,
    ).toEqual(['opened', 'closed'])
  })

  it('honours a sensor-specific window', () => {
    const slow = { ...policy, debounce: 10_000 }
    expect(
      run(
        [
          [T0, door('open')],
          [T0 + 5000, door('closed')],
        ],
        slow,
      ).kinds,
    ).toEqual(['opened'])
  })

  it('settles an expired window when the next message arrives, even if no tick came', () => {
    expect(
      run([
        [T0, door('open')],
        [T0 + 500, door('closed')],
        [T0 + 60_000, volts(3.9)],
      ]).kinds,
    ).toEqual(['opened', 'closed'])
  })
})

describe('battery_low', () => {
  it('fires once per crossing, not on every low reading', () => {
    expect(
      run([
        [T0, volts(3.4)],
        [T0 + HOUR, volts(3.28)],
        [T0 + 2 * HOUR, volts(3.25)],
        [T0 + 3 * HOUR, volts(3.2)],
      ]).kinds,
    ).toEqual(['battery_low'])
  })

  it('re-arms only after recovering above threshold plus hysteresis', () => {
    // 3.35 is above 3.3 but within the 0.1 V hysteresis: a rested cell, not a new one.
    expect(
      run([
        [T0, volts(3.25)],
        [T0 + HOUR, volts(3.35)],
        [T0 + 2 * HOUR, volts(3.25)],
      ]).kinds,
    ).toEqual(['battery_low'])
    expect(
      run([
        [T0, volts(3.25)],
        [T0 + HOUR, volts(3.45)],
        [T0 + 2 * HOUR, volts(3.25)],
      ]).kinds,
    ).toEqual(['battery_low', 'battery_low'])
  })

  it('records the reading and the threshold', () => {
    const r = evaluate(policy, initialState(T0), volts(3.2), T0)
    expect(r.events).toEqual([{ kind: 'battery_low', at: T0, battery: { value: 3.2, unit: 'V' }, details: { threshold: 3.3 } }])
  })

  it('uses 20% for percentage readings when the threshold is in volts', () => {
    const pct = (value: number) => msg({ battery: { value, unit: '%' } })
    expect(
      run([
        [T0, pct(25)],
        [T0 + HOUR, pct(19)],
      ]).kinds,
    ).toEqual(['battery_low'])
    expect(run([[T0, pct(25)]], { ...policy, batteryLow: { value: 30, unit: '%' } }).kinds).toEqual(['battery_low'])
  })

  it('starts over when the device switches between volts and percent', () => {
    const pct = (value: number) => msg({ battery: { value, unit: '%' } })
    const { state, kinds } = run([
      [T0, volts(3.2)],
      [T0 + HOUR, pct(15)],
    ])
    // The volts crossing does not carry over: the percent threshold fires on its own.
    expect(kinds).toEqual(['battery_low', 'battery_low'])
    expect(state.batterySamples).toEqual([{ at: T0 + HOUR, value: 15 }])
  })

  it('accepts a heartbeat that carries only the battery', () => {
    const { state } = run([
      [T0, door('closed')],
      [T0 + HOUR, volts(3.7)],
    ])
    expect(state.door).toBe('closed')
    expect(state.battery).toEqual({ value: 3.7, unit: 'V', at: T0 + HOUR })
    expect(state.lastSeenAt).toBe(T0 + HOUR)
  })
})

describe('silent and back (dead-man)', () => {
  it('goes silent after heartbeat x 1.5 without a message, and only once', () => {
    const { state } = run([[T0, door('closed')]])
    expect(nextDueAt(policy, state)).toBe(T0 + 36 * HOUR)
    expect(evaluate(policy, state, tick, T0 + 36 * HOUR - 1).events).toEqual([])
    const silent = evaluate(policy, state, tick, T0 + 36 * HOUR)
    expect(silent.events).toEqual([{ kind: 'silent', at: T0 + 36 * HOUR, details: { lastSeenAt: T0, heartbeatMs: 24 * HOUR } }])
    expect(evaluate(policy, silent.state, tick, T0 + 100 * HOUR).events).toEqual([])
    expect(isOnline(policy, silent.state)).toBe(false)
  })

  it('counts from when tracking began for a sensor never heard from', () => {
    const silent = evaluate(policy, initialState(T0), tick, T0 + 36 * HOUR)
    expect(silent.events.map((e) => e.kind)).toEqual(['silent'])
  })

  it('is reset by any message, even one it cannot read', () => {
    const { state } = run([
      [T0, door('closed')],
      [T0 + 30 * HOUR, msg({})],
    ])
    expect(nextDueAt(policy, state)).toBe(T0 + 66 * HOUR)
  })

  it('says back on the first message after silence, before what the message says', () => {
    const { kinds, state } = run([
      [T0, door('closed')],
      [T0 + 40 * HOUR, tick],
      [T0 + 50 * HOUR, door('open')],
    ])
    expect(kinds).toEqual(['closed', 'silent', 'back', 'opened'])
    expect(isOnline(policy, state)).toBe(true)
  })

  it('fires silent before back when the first message comes after the deadline but before any tick', () => {
    expect(
      run([
        [T0, door('closed')],
        [T0 + 40 * HOUR, volts(3.6)],
      ]).kinds,
    ).toEqual(['closed', 'silent', 'back'])
  })

  it('has no deadline without a heartbeat', () => {
    const noHeartbeat = { debounce: 2000 }
    const { state, kinds } = run(
      [
        [T0, door('closed')],
        [T0 + 1000 * HOUR, tick],
      ],
      noHeartbeat,
    )
    expect(kinds).toEqual(['closed'])
    expect(nextDueAt(noHeartbeat, state)).toBeUndefined()
    expect(isOnline(noHeartbeat, state)).toBeNull()
  })
})

describe('will', () => {
  it('records the Last Will without marking a sleeping sensor offline', () => {
    const { state, kinds } = run([
      [T0, door('closed')],
      [T0 + HOUR, { type: 'will' }],
    ])
    expect(kinds).toEqual(['closed', 'will'])
    expect(state.lastWillAt).toBe(T0 + HOUR)
    expect(isOnline(policy, state)).toBe(true)
    // A Will is the broker speaking, not the device: it does not reset the dead-man timer.
    expect(nextDueAt(policy, state)).toBe(T0 + 36 * HOUR)
  })
})

it('does not modify the state it is given', () => {
  const state = initialState(T0)
  const copy = structuredClone(state)
  evaluate(policy, state, door('open'), T0)
  expect(state).toEqual(copy)
})
