import { describe, expect, it } from 'vitest'
import { readVariableByteInteger } from './variable-byte-integer.js'

describe('readVariableByteInteger [MQTT-1.5.5]', () => {
  it.each([
    [[0x00], 0],
    [[0x7f], 127],
    [[0x80, 0x01], 128],
    [[0xff, 0x7f], 16_383],
    [[0x80, 0x80, 0x01], 16_384],
    [[0xff, 0xff, 0x7f], 2_097_151],
    [[0x80, 0x80, 0x80, 0x01], 2_097_152],
    [[0xff, 0xff, 0xff, 0x7f], 268_435_455],
  ])('reads %j as %i, at any position', (encoded, value) => {
    expect(readVariableByteInteger(new Uint8Array(encoded), 0)).toEqual({ value, end: encoded.length })
    expect(readVariableByteInteger(new Uint8Array([0x30, ...encoded, 0x99]), 1)).toEqual({ value, end: encoded.length + 1 })
  })

  it('waits for bytes that are cut short, and calls a fifth byte malformed', () => {
    expect(readVariableByteInteger(new Uint8Array([0x30]), 1)).toBeUndefined()
    expect(readVariableByteInteger(new Uint8Array([0x80, 0x80]), 0)).toBeUndefined()
    expect(readVariableByteInteger(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x01]), 0)).toBe('malformed')
  })
})
