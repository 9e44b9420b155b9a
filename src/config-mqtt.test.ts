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
