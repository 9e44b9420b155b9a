/** The dashboard's topic matching (plain JavaScript for the browser) decides what it offers; it must agree with the core's. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { matchTopic } from '../src/topic/match.js'
import { validateTopicFilter, validateTopicName } from '../src/topic/validate.js'
// @ts-expect-error: a plain ES module without types, served to the browser as is
import { matches } from '../dashboard/ui/topic-match.js'

const level = fc.constantFrom('', 'a', 'b', 'home', '$SYS', '$x', 'lamp')
const name = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'))
const filter = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))

describe('dashboard topic matching', () => {
  it('agrees with src/topic/match.ts on every valid filter and topic name [MQTT-4.7.1-2] [MQTT-4.7.2-1]', () => {
    fc.assert(
      fc.property(filter, name, (f, t) => {
        fc.pre(validateTopicFilter(f) === undefined && validateTopicName(t) === undefined)
        expect(matches(f, t)).toBe(matchTopic(f, t))
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 500) },
    )
    expect(matches('#', '$SYS/x')).toBe(false)
    expect(matches('sport/#', 'sport')).toBe(true)
  })
})
