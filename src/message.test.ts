import { describe, expect, it } from 'vitest'
import { propertiesFromJson, propertiesToJson, toEnvelope } from './message.js'
import { everyProperty } from './testing/every-property.js'

const props = everyProperty()

describe('the JSON <-> core MQTT 5 property mapping', () => {
  it('round-trips every property Postbridge carries, correlation data as base64', () => {
    const json = propertiesToJson(props)
    expect(json?.correlationData).toBe('AQID')
    expect(propertiesFromJson(json)).toEqual(props)
  })

  it('keeps user properties named like Object.prototype members through JSON (the edge store, HTTP)', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const userProperties = JSON.parse(`{"${name}":["a","b"],"x":"y"}`) as Record<string, string | string[]>
      const back = propertiesFromJson(JSON.parse(JSON.stringify(propertiesToJson({ userProperties }))))
      expect([name, Object.entries(back?.userProperties ?? {})]).toEqual([name, Object.entries(userProperties)])
    }
  })

  it('answers undefined for no properties, and for correlation data that is not base64', () => {
    expect(propertiesToJson({})).toBeUndefined()
    expect(propertiesToJson(undefined)).toBeUndefined()
    expect(propertiesFromJson({ correlationData: '%%%' })).toBeUndefined()
  })

  it('puts the properties in the envelope only when there are some', () => {
    const message = { topic: 't', payload: new TextEncoder().encode('on'), qos: 1 as const, retain: false }
    expect(toEnvelope(message)).toEqual({ topic: 't', payload: 'on', encoding: 'utf8', qos: 1, retain: false })
    expect(toEnvelope({ ...message, properties: { responseTopic: 'r' } }).properties).toEqual({ responseTopic: 'r' })
  })
})
