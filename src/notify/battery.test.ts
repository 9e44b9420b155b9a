import { describe, expect, it } from 'vitest'
import { addSample, checkCrossing, estimateDaysLeft, lowThreshold } from './battery.js'
import type { BatterySample } from './model.js'

const DAY = 86_400_000
const T0 = Date.UTC(2024, 0, 1)

describe('checkCrossing', () => {
  it('crosses below the threshold once and re-arms above threshold + hysteresis', () => {
    expect(checkCrossing(true, { value: 3.29, unit: 'V' }, 3.3)).toEqual({ armed: false, crossed: true })
    expect(checkCrossing(false, { value: 3.2, unit: 'V' }, 3.3)).toEqual({ armed: false, crossed: false })
    expect(checkCrossing(false, { value: 3.39, unit: 'V' }, 3.3)).toEqual({ armed: false, crossed: false })
    expect(checkCrossing(false, { value: 3.4, unit: 'V' }, 3.3)).toEqual({ armed: true, crossed: false })
    expect(checkCrossing(false, { value: 24, unit: '%' }, 20)).toEqual({ armed: false, crossed: false })
    expect(checkCrossing(false, { value: 25, unit: '%' }, 20)).toEqual({ armed: true, crossed: false })
  })

  it('is not low at exactly the threshold', () => {
    expect(checkCrossing(true, { value: 3.3, unit: 'V' }, 3.3).crossed).toBe(false)
  })
})

describe('lowThreshold', () => {
  it('uses the configured threshold in its unit and the default in the other', () => {
    expect(lowThreshold({ value: 2.6, unit: 'V' }, 'V')).toBe(2.6)
    expect(lowThreshold({ value: 2.6, unit: 'V' }, '%')).toBe(20)
    expect(lowThreshold(undefined, 'V')).toBe(3.3)
  })
})

describe('estimateDaysLeft', () => {
  const line = (days: number, start: number, perDay: number): BatterySample[] =>
    Array.from({ length: days + 1 }, (_, d) => ({ at: T0 + d * DAY, value: start + perDay * d }))

  it('extrapolates a falling line to the threshold', () => {
    // 3.9 V falling 0.01 V a day: after 10 days at 3.8 V, 50 days more to 3.3 V.
    expect(estimateDaysLeft(line(10, 3.9, -0.01), 3.3, T0 + 10 * DAY)).toBeCloseTo(50, 5)
  })

  it('counts from now, not from the last sample', () => {
    expect(estimateDaysLeft(line(10, 3.9, -0.01), 3.3, T0 + 15 * DAY)).toBeCloseTo(45, 5)
  })

  it('gives no estimate from too little history or a flat or rising trend', () => {
    expect(estimateDaysLeft(line(1, 3.9, -0.01).slice(0, 2), 3.3, T0 + DAY)).toBeUndefined()
    expect(
      estimateDaysLeft(
        [
          { at: T0, value: 3.9 },
          { at: T0 + 3_600_000, value: 3.89 },
          { at: T0 + 7_200_000, value: 3.88 },
        ],
        3.3,
        T0,
      ),
    ).toBeUndefined()
    expect(estimateDaysLeft(line(10, 3.9, 0), 3.3, T0 + 10 * DAY)).toBeUndefined()
    expect(estimateDaysLeft(line(10, 3.5, 0.01), 3.3, T0 + 10 * DAY)).toBeUndefined()
  })

  it('says 0 once the trend is at the threshold', () => {
    expect(estimateDaysLeft(line(10, 3.4, -0.02), 3.3, T0 + 10 * DAY)).toBe(0)
  })
})

describe('addSample', () => {
  it('keeps one sample per hour, the newest', () => {
    let s: BatterySample[] = []
    s = addSample(s, 3.9, 'V', T0)
    s = addSample(s, 3.89, 'V', T0 + 60_000)
    s = addSample(s, 3.88, 'V', T0 + 3_600_000)
    expect(s).toEqual([
      { at: T0 + 60_000, value: 3.89 },
      { at: T0 + 3_600_000, value: 3.88 },
    ])
  })

  it('starts a new history when a fresh battery goes in', () => {
    const s = addSample(
      [
        { at: T0, value: 3.3 },
        { at: T0 + DAY, value: 3.29 },
      ],
      4.1,
      'V',
      T0 + 2 * DAY,
    )
    expect(s).toEqual([{ at: T0 + 2 * DAY, value: 4.1 }])
  })

  it('forgets samples older than 60 days', () => {
    const s = addSample([{ at: T0, value: 3.9 }], 3.8, 'V', T0 + 61 * DAY)
    expect(s).toEqual([{ at: T0 + 61 * DAY, value: 3.8 }])
  })
})
