import { describe, expect, it } from 'vitest'
import { MAX_TOPIC_BYTES, validateTopicFilter, validateTopicName } from './validate.js'

describe('validateTopicName', () => {
  it.each(['home/relay/1', 'a', '/', 'a//b', 'émoji/🔌', ' spaced '])('accepts %j', (t) => {
    expect(validateTopicName(t)).toBeUndefined()
  })
  it('refuses an empty topic [MQTT-4.7.3-1]', () => expect(validateTopicName('')).toMatch(/empty/))
  it('refuses NUL [MQTT-4.7.3-2]', () => expect(validateTopicName('a\u0000b')).toMatch(/NUL/))
  it.each(['a/+/b', 'a/#', '+', 'a+b'])('refuses wildcard in topic name %j [MQTT-4.7.1-1]', (t) => {
    expect(validateTopicName(t)).toMatch(/wildcard/)
  })
  it('refuses $ topics for clients [MQTT-4.7.2-1]', () => expect(validateTopicName('$SYS/x')).toMatch(/reserved/))
  it('allows $ topics when the broker itself asks', () => expect(validateTopicName('$SYS/x', { allowDollar: true })).toBeUndefined())
  it('counts bytes, not characters [MQTT-4.7.3-3]', () => {
    expect(validateTopicName('a'.repeat(MAX_TOPIC_BYTES))).toBeUndefined()
    expect(validateTopicName('é'.repeat(MAX_TOPIC_BYTES / 2 + 1))).toMatch(/longer/)
    // Three bytes per UTF-16 code unit, the most there is: 21845 of them fit exactly, one more does not.
    expect(validateTopicName('€'.repeat(MAX_TOPIC_BYTES / 3))).toBeUndefined()
    expect(validateTopicName(`${'€'.repeat(MAX_TOPIC_BYTES / 3)}a`)).toMatch(/longer/)
    expect(validateTopicName('😀'.repeat((MAX_TOPIC_BYTES + 1) / 4))).toMatch(/longer/)
  })
})

describe('validateTopicFilter', () => {
  it.each(['#', '+', 'a/#', 'a/+/b', '+/+', '/#', 'a/b', '$SYS/#'])('accepts %j', (f) => {
    expect(validateTopicFilter(f)).toBeUndefined()
  })
  it.each(['a/#/b', 'a#', '#/a'])('refuses %j: # must be the whole last level [MQTT-4.7.1-2]', (f) => {
    expect(validateTopicFilter(f)).toMatch(/#/)
  })
  it.each(['a+', 'a/b+/c', '++'])('refuses %j: + must be a whole level [MQTT-4.7.1-3]', (f) => {
    expect(validateTopicFilter(f)).toMatch(/\+/)
  })
  it('refuses empty and NUL filters', () => {
    expect(validateTopicFilter('')).toMatch(/empty/)
    expect(validateTopicFilter('a/\u0000')).toMatch(/NUL/)
  })
})
