import { describe, expect, it } from 'vitest'
import { describeDuration, formatDuration, parseDuration } from './duration.js'

describe('durations', () => {
  it('parses 90s, 15m, 24h, 7d and plain milliseconds, and refuses the rest', () => {
    expect(['90s', '15m', '24h', '7d', '250ms', '1.5h'].map((d) => parseDuration(d))).toEqual([
      90_000, 900_000, 86_400_000, 604_800_000, 250, 5_400_000,
    ])
    expect(parseDuration(1000)).toBe(1000)
    expect(['daily', '1 week', '-5s', ''].map((d) => parseDuration(d))).toEqual([undefined, undefined, undefined, undefined])
  })

  it('formats back the way heartbeats are written, and round-trips', () => {
    expect([86_400_000, 172_800_000, 604_800_000, 5_400_000, 2000, 1500].map(formatDuration)).toEqual(['24h', '2d', '7d', '90m', '2s', '1500ms'])
    for (const ms of [86_400_000, 5_400_000, 1500, 90_000]) expect(parseDuration(formatDuration(ms))).toBe(ms)
  })

  it('describes a span roughly for people', () => {
    expect([45_000, 45 * 60_000, 3 * 3_600_000 + 60_000, 2 * 86_400_000 + 3 * 3_600_000, 86_400_000].map(describeDuration)).toEqual([
      '45s',
      '45m',
      '3h 1m',
      '2d 3h',
      '1d',
    ])
  })
})
