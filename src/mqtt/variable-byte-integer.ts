/**
 * Reading an MQTT Variable Byte Integer [MQTT-1.5.5]: the Remaining Length of a fixed header and the length of a
 * property section. One reader for the broker's pre-CONNECT guard and property check and the edge's packet framer.
 */

/**
 * The integer at `pos` and the position after it; undefined while its bytes are cut short; 'malformed' when it runs
 * past the four bytes the spec allows.
 */
export function readVariableByteInteger(bytes: Uint8Array, pos: number): { value: number; end: number } | undefined | 'malformed' {
  let value = 0
  let mul = 1
  for (let i = 0; i < 4; i++) {
    const b = bytes[pos + i]
    if (b === undefined) return undefined
    value += (b & 0x7f) * mul
    if ((b & 0x80) === 0) return { value, end: pos + i + 1 }
    mul *= 0x80
  }
  return 'malformed'
}
