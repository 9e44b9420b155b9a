import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.js'

describe('mqtt config: loopback trust and $SYS', () => {
  it('trusts loopback and publishes $SYS every 10 s by default', () => {
    const c = parseConfig(undefined, {})
    expect(c.mqtt.anonymousFromLoopback).toBe(true)
    expect(c.mqtt.sysInterval).toBe(10_000)
  })
  it('accepts anonymousFromLoopback false, and sysInterval 0 (off) or a duration of 1 s or more', () => {
    const c = parseConfig({ mqtt: { anonymousFromLoopback: false, sysInterval: '30s' } }, {})
    expect([c.mqtt.anonymousFromLoopback, c.mqtt.sysInterval]).toEqual([false, 30_000])
    expect(parseConfig({ mqtt: { sysInterval: 0 } }, {}).mqtt.sysInterval).toBe(0)
  })
  it('refuses a sysInterval under 1 s', () => {
    expect(() => parseConfig({ mqtt: { sysInterval: '200ms' } }, {})).toThrow(ConfigError)
  })
})

describe('mqtt config: persistentSessionExpiry', () => {
  it('keeps a session with no expiry of its own for 30 days by default', () => {
    expect(parseConfig(undefined, {}).mqtt.persistentSessionExpiry).toBe(30 * 24 * 60 * 60_000)
  })
  it('accepts a duration of 1 s or more, and 0 (never)', () => {
    expect(parseConfig({ mqtt: { persistentSessionExpiry: '7d' } }, {}).mqtt.persistentSessionExpiry).toBe(7 * 24 * 60 * 60_000)
    expect(parseConfig({ mqtt: { persistentSessionExpiry: '90s' } }, {}).mqtt.persistentSessionExpiry).toBe(90_000)
    expect(parseConfig({ mqtt: { persistentSessionExpiry: 0 } }, {}).mqtt.persistentSessionExpiry).toBe(0)
  })
  it.each([
    ['a word', 'soon', 'mqtt.persistentSessionExpiry: "soon" is not a duration (use 90s, 15m, 24h or 7d)'],
    ['a negative number', -5, 'mqtt.persistentSessionExpiry: "-5" is not a duration (use 90s, 15m, 24h or 7d)'],
    ['a value that is neither text nor a number', true, 'mqtt.persistentSessionExpiry: is not a duration (use 90s, 15m, 24h or 7d)'],
    ['under a second', '500ms', 'mqtt.persistentSessionExpiry: must be 0 (never) or between 1s and 136 years'],
    ['past the longest MQTT 5 interval', 0xffffffff * 1000, 'mqtt.persistentSessionExpiry: must be 0 (never) or between 1s and 136 years'],
  ])('refuses %s with one line naming the key', (_what, value, line) => {
    let problems: string[] = []
    try {
      parseConfig({ mqtt: { persistentSessionExpiry: value } }, {})
    } catch (err) {
      problems = (err as ConfigError).problems
    }
    expect(problems).toEqual([line])
  })
})
