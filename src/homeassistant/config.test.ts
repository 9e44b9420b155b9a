import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../config.js'

describe('homeAssistant config', () => {
  it("is off by default with Home Assistant's own prefix", () => {
    expect(parseConfig({}, {}).homeAssistant).toEqual({ discovery: false, prefix: 'homeassistant', statePrefix: 'postbridge/sensors' })
  })

  it('refuses a prefix holding a wildcard, naming the key', () => {
    expect(() => parseConfig({ homeAssistant: { discovery: true, prefix: 'ha/#' } }, {})).toThrow(ConfigError)
    expect(() => parseConfig({ homeAssistant: { prefix: 'ha/#' } }, {})).toThrow(/homeAssistant\.prefix/)
    expect(() => parseConfig({ homeAssistant: { statePrefix: 'pb/' } }, {})).toThrow(/homeAssistant\.statePrefix: must not end with "\/"/)
  })
})
