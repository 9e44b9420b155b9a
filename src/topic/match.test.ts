import { describe, expect, it } from 'vitest'
import { expandAclPattern, filterCovers, matchLevels, matchTopic } from './match.js'

describe('matchTopic', () => {
  it.each([
    ['sport/#', 'sport'],
    ['sport/#', 'sport/tennis/player1'],
    ['#', 'a/b/c'],
    ['sport/+/player1', 'sport/tennis/player1'],
    ['+/+', '/finance'],
    ['+', ''],
    ['a/b', 'a/b'],
  ])('%s matches %s [MQTT-4.7.1]', (f, t) => expect(matchTopic(f, t)).toBe(true))
  it.each([
    ['sport/+', 'sport/tennis/player1'],
    ['sport/+/player1', 'sport/tennis/player2'],
    ['a/b', 'a/b/c'],
    ['a/b/c', 'a/b'],
    ['+', '/finance'],
  ])('%s does not match %s', (f, t) => expect(matchTopic(f, t)).toBe(false))
  it('does not match $SYS/x with # or + [MQTT-4.7.2-1]', () => {
    expect(matchTopic('#', '$SYS/x')).toBe(false)
    expect(matchTopic('+/x', '$SYS/x')).toBe(false)
    expect(matchTopic('$SYS/#', '$SYS/x')).toBe(true)
  })
  it('matches $ topics by their levels alone in matchLevels, as the broker store does', () => {
    expect(matchLevels('#', '$SYS/x')).toBe(true)
    expect(matchLevels('+/x', '$SYS/x')).toBe(true)
    expect(matchLevels('+/y', '$SYS/x')).toBe(false)
  })
})

describe('filterCovers', () => {
  it.each([
    ['#', 'a/+/b'],
    ['a/#', 'a/b/#'],
    ['a/+', 'a/b'],
    ['a/+/c', 'a/+/c'],
    ['a/#', 'a'],
  ])('%s covers %s', (o, i) => expect(filterCovers(o, i)).toBe(true))
  it.each([
    ['a/+', 'a/#'],
    ['a/b', 'a/+'],
    ['a/+', 'a/b/c'],
    ['#', '$SYS/#'],
    ['a/b/#', 'a/#'],
  ])('%s does not cover %s', (o, i) => expect(filterCovers(o, i)).toBe(false))
})

describe('expandAclPattern', () => {
  it('substitutes %u and %c', () => expect(expandAclPattern('devices/%u/%c/#', 'alice', 'esp-1')).toBe('devices/alice/esp-1/#'))
  it('refuses a username that would widen the pattern', () => {
    expect(expandAclPattern('devices/%u/#', '#', 'c')).toBeUndefined()
    expect(expandAclPattern('devices/%u/#', 'a/b', 'c')).toBeUndefined()
    expect(expandAclPattern('devices/%c/#', 'a', '+')).toBeUndefined()
  })
  it('does not expand the tokens a username or client id contains', () => {
    expect(expandAclPattern('devices/%u/#', '%c', 'bob')).toBe('devices/%c/#')
    expect(expandAclPattern('devices/%c/%u', 'alice', '%u')).toBe('devices/%u/alice')
  })
})
