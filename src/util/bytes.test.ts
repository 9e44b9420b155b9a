import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timingSafeEqual, timingSafeEqualText, utf8 } from './bytes.js'

describe('timingSafeEqualText', () => {
  it.each([
    ['same', 'same', true],
    ['', '', true],
    ['pb_abc', 'pb_abd', false],
    ['pb_abc', 'pb_ab', false],
    ['', 'x', false],
    ['caf\u00e9', 'caf\u00e9', true],
    ['caf\u00e9', 'cafe', false],
    ['\u{1f600}', '\u{1f601}', false],
  ])('"%s" and "%s": %s', (a, b, equal) => {
    expect(timingSafeEqualText(a, b)).toBe(equal)
    expect(timingSafeEqualText(b, a)).toBe(equal)
  })

  it('agrees with timingSafeEqual of the UTF-8 bytes for text without lone surrogates', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 })
    // The same text, or one with a code unit changed, cut or added: the near misses a compare must not take.
    const pair = text.chain((a) =>
      fc.oneof(
        fc.constant([a, a] as const),
        text.map((b) => [a, b] as const),
        fc.nat().map((n) => [a, a.slice(0, a.length === 0 ? 0 : n % a.length)] as const),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).map((c) => [a, a + c] as const),
      ),
    )
    fc.assert(
      fc.property(pair, ([a, b]) => {
        expect(timingSafeEqualText(a, b)).toBe(timingSafeEqual(utf8(a), utf8(b)))
      }),
      { numRuns: 2000 },
    )
  })
})
