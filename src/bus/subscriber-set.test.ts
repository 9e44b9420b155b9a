import { describe, expect, it } from 'vitest'
import type { Message } from '../ports/types.js'
import { utf8 } from '../util/bytes.js'
import { SubscriberSet } from './subscriber-set.js'

const msg = (topic: string, retain = false): Message => ({ topic, payload: utf8('x'), qos: 1, retain })

describe('SubscriberSet', () => {
  it('delivers once to a subscriber whose several filters match', () => {
    const set = new SubscriberSet(() => {})
    const got: string[] = []
    set.add(['a/#', 'a/+'], (m) => got.push(m.topic))
    set.deliver(msg('a/b'))
    set.deliver(msg('c'))
    expect(got).toEqual(['a/b'])
  })
  it('keeps the retain flag only for Retain As Published subscribers [MQTT-3.3.1-12]', () => {
    const set = new SubscriberSet(() => {})
    const flags: boolean[] = []
    set.add(['#'], (m) => flags.push(m.retain))
    set.add(['#'], (m) => flags.push(m.retain), { retainAsPublished: true })
    set.deliver(msg('t', true))
    expect(flags).toEqual([false, true])
  })
  it('goes on delivering when one subscriber throws, reports the error, and stops after unsubscribe', async () => {
    const reported: { error: unknown; topic: string }[] = []
    const set = new SubscriberSet((error, topic) => reported.push({ error, topic }))
    let count = 0
    const bug = new Error('bug')
    set.add(['#'], () => {
      throw bug
    })
    const off = set.add(['#'], () => count++)
    set.deliver(msg('t'))
    await off()
    set.deliver(msg('t'))
    expect(count).toBe(1)
    expect(set.size).toBe(1)
    expect(reported).toEqual([
      { error: bug, topic: 't' },
      { error: bug, topic: 't' },
    ])
  })
  it('refuses an invalid filter and adds nothing', () => {
    const set = new SubscriberSet(() => {})
    expect(() => set.add(['ok', 'a/#/b'], () => {})).toThrow(/a\/#\/b/)
    expect(set.size).toBe(0)
  })
})
