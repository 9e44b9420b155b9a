import { describe, expect, it } from 'vitest'
import { utf8 } from '../util/bytes.js'
import { payloadSchema } from './config.js'
import { parseSensorPayload } from './payload.js'

const defaults = payloadSchema.parse({})
const parse = (text: string, config = defaults) => parseSensorPayload(utf8(text), config)
const reading = (text: string, config = defaults) => {
  const { input } = parse(text, config)
  return input.type === 'message' ? input.reading : input.type
}

describe('parseSensorPayload', () => {
  it.each([
    ['open', 'open'],
    ['closed', 'closed'],
    ['1', 'open'],
    ['0', 'closed'],
    ['true', 'open'],
    ['false', 'closed'],
    [' OPEN\n', 'open'],
  ])('reads %j as %s', (text, door) => {
    expect(reading(text)).toEqual({ door })
  })

  it('reads JSON with state and battery in volts', () => {
    expect(reading('{"state":"open","battery":3.71}')).toEqual({ door: 'open', battery: { value: 3.71, unit: 'V' } })
  })

  it('reads a battery percentage', () => {
    expect(reading('{"battery_pct":80}')).toEqual({ battery: { value: 80, unit: '%' } })
  })

  it('takes a large volts value as millivolts, as ESP.getVcc() gives them', () => {
    expect(reading('{"battery":3312}')).toEqual({ battery: { value: 3.312, unit: 'V' } })
  })

  it('accepts JSON booleans and numbers as states', () => {
    expect(reading('{"state":true}')).toEqual({ door: 'open' })
    expect(reading('{"state":0}')).toEqual({ door: 'closed' })
  })

  it('accepts a heartbeat carrying only the battery, and an empty heartbeat', () => {
    expect(reading('{"battery":3.6}')).toEqual({ battery: { value: 3.6, unit: 'V' } })
    expect(parse('')).toEqual({ input: { type: 'message', reading: {} } })
  })

  it('recognises a Last Will payload', () => {
    expect(reading('offline')).toBe('will')
    expect(reading('Lost')).toBe('will')
  })

  it('follows configured field names and values (zigbee2mqtt-style contact: true means closed)', () => {
    const z2m = payloadSchema.parse({
      stateField: 'contact',
      batteryField: 'voltage',
      batteryPctField: 'battery',
      openValues: ['false'],
      closedValues: ['true'],
    })
    expect(reading('{"contact":false,"battery":97,"voltage":3015}', z2m)).toEqual({ door: 'open', battery: { value: 3.015, unit: 'V' } })
    expect(reading('{"contact":true,"battery":97}', z2m)).toEqual({ door: 'closed', battery: { value: 97, unit: '%' } })
  })

  it('reaches into nested objects with a dotted field name', () => {
    const nested = payloadSchema.parse({ stateField: 'door.state' })
    expect(reading('{"door":{"state":"open"}}', nested)).toEqual({ door: 'open' })
  })

  it('counts what it cannot read as a sign of life and says so', () => {
    expect(parse('ajar')).toEqual({ input: { type: 'message', reading: {} }, unrecognised: 'ajar' })
    expect(parse('{"temp":21}').unrecognised).toBe('{"temp":21}')
    expect(parse('{not json').unrecognised).toBe('{not json')
    expect(parseSensorPayload(new Uint8Array([0xff, 0xfe]), defaults).unrecognised).toBe('(binary payload)')
  })

  it('ignores impossible battery values', () => {
    expect(reading('{"state":"open","battery":-1,"battery_pct":150}')).toEqual({ door: 'open' })
  })
})

describe('field names named like Object.prototype members', () => {
  it('read what the device sent under that name, and nothing from the prototype when it sent none', () => {
    const configFor = (name: string) => payloadSchema.parse({ stateField: name, batteryField: `${name}.v`, batteryPctField: `x.${name}` })
    const payloads = (name: string) => [
      '{}',
      `{"${name}":"open"}`,
      `{"${name}":{"v":3.1}}`,
      `{"x":{"${name}":40}}`,
      '{"x":{},"state":"closed"}',
      `{"${name}":"closed","x":{"${name}":"x"}}`,
    ]
    const outcomes = (name: string) => payloads(name).map((text) => JSON.stringify(parse(text, configFor(name))).replaceAll(name, '<name>'))
    const expected = outcomes('plain')
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])
      expect({ name, got: outcomes(name) }).toEqual({ name, got: expected })
  })
})
