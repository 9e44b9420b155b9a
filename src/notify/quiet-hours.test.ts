import { describe, expect, it } from 'vitest'
import { isQuietTime, localUtcOffset, priorityFor } from './quiet-hours.js'

const utc = () => 0
const berlinSummer = () => 120
const at = (h: number, m = 0) => Date.UTC(2024, 5, 1, h, m)

describe('isQuietTime', () => {
  const night = { from: '23:00', to: '07:00' }
  it('wraps midnight: 23:00-07:00 covers 23:00 and 06:59, not 07:00 or 22:59', () => {
    expect(isQuietTime(night, at(23), utc)).toBe(true)
    expect(isQuietTime(night, at(3), utc)).toBe(true)
    expect(isQuietTime(night, at(6, 59), utc)).toBe(true)
    expect(isQuietTime(night, at(7), utc)).toBe(false)
    expect(isQuietTime(night, at(22, 59), utc)).toBe(false)
  })

  it('handles a window within one day', () => {
    const lunch = { from: '12:00', to: '13:30' }
    expect(isQuietTime(lunch, at(12, 45), utc)).toBe(true)
    expect(isQuietTime(lunch, at(13, 30), utc)).toBe(false)
  })

  it('reads the clock in local time through the offset', () => {
    // 21:30 UTC is 23:30 in Berlin in summer.
    expect(isQuietTime(night, at(21, 30), berlinSummer)).toBe(true)
    expect(isQuietTime(night, at(21, 30), utc)).toBe(false)
  })

  it('is never quiet without quiet hours or with equal ends', () => {
    expect(isQuietTime(undefined, at(3), utc)).toBe(false)
    expect(isQuietTime({ from: '07:00', to: '07:00' }, at(7), utc)).toBe(false)
  })

  it('takes the process zone by default, as minutes east of UTC', () => {
    const ms = at(12)
    expect(localUtcOffset(ms)).toBe(-new Date(ms).getTimezoneOffset())
  })
})

describe('priorityFor', () => {
  it('makes a door opening in quiet hours urgent (5) and routine news quiet', () => {
    expect(priorityFor('opened', true)).toBe(5)
    expect(priorityFor('opened', false)).toBe(3)
    expect(priorityFor('battery_low', true)).toBe(2)
    expect(priorityFor('battery_low', false)).toBe(4)
    expect(priorityFor('silent', false)).toBe(4)
  })
})
