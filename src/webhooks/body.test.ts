import { describe, expect, it } from 'vitest'
import { MESSAGE_ID_PROPERTY, withStableId } from '../message-id.js'
import { webhookMessageId } from './body.js'

const message = { topic: 'home/door', payload: new TextEncoder().encode('open'), qos: 1 as const, retain: false }

describe('the webhook id of a message (issue 11)', () => {
  it('derives from the stable id, so a resend of the same message carries the same webhook-id', () => {
    const m = withStableId(message, 'abc123')
    expect(m.properties?.userProperties?.[MESSAGE_ID_PROPERTY]).toBe('abc123')
    expect(webhookMessageId(m, 1)).toBe('msg_abc123')
    expect(webhookMessageId(m, 2)).toBe(webhookMessageId(m, 1))
  })

  it('is new for a message without one', () => {
    expect(webhookMessageId(message, 1)).not.toBe(webhookMessageId(message, 1))
    expect(webhookMessageId(message, 1)).toMatch(/^msg_/)
  })
})
