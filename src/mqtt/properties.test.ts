import { describe, expect, it } from 'vitest'
import { fromWireProperties, toWireProperties } from './properties.js'
import { everyProperty } from '../testing/every-property.js'

const identity = (b: Uint8Array) => b

describe('the wire <-> core MQTT 5 property mapping', () => {
  it('round-trips every property Postbridge carries', () => {
    const props = everyProperty()
    expect(fromWireProperties(toWireProperties(props, identity) as Record<string, unknown>)).toEqual(props)
  })

  it('leaves out what it does not carry and answers undefined for nothing', () => {
    expect(toWireProperties({}, identity)).toBeUndefined()
    expect(fromWireProperties({ topicAlias: 3, subscriptionIdentifier: 7 })).toBeUndefined()
  })

  it('counts a stored message expiry down from when it was published [MQTT-3.3.2-6]', () => {
    expect(fromWireProperties({ messageExpiryInterval: 60 }, 10_000, 40_500)).toEqual({ messageExpiryInterval: 31 })
  })

  it('hands correlation data through the runtime writer and back as a plain copy', () => {
    const written: Uint8Array[] = []
    const wire = toWireProperties({ correlationData: new Uint8Array([9]) }, (b) => (written.push(b), b))
    expect(written).toHaveLength(1)
    const back = fromWireProperties(wire as Record<string, unknown>)!
    expect(back.correlationData).toEqual(new Uint8Array([9]))
    expect(back.correlationData).not.toBe(wire!.correlationData)
  })
})
