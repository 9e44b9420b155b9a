import { describe, expect, it } from 'vitest'
import { withStableId, withoutStableId } from '../message-id.js'
import { fromLinkPublish, takeSyncMark, toLinkPublish } from './packet.js'
import { LINK_QOS_PROPERTY } from './protocol.js'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('messages on the link', () => {
  it('carries every message at QoS 1 and restores a QoS 0 or 2 on the other side', () => {
    for (const qos of [0, 1, 2] as const) {
      const packet = toLinkPublish({ topic: 'a/b', payload: bytes('x'), qos, retain: false })
      expect(packet.qos).toBe(1)
      expect(fromLinkPublish(packet).qos).toBe(qos)
    }
  })
  it('adds no user property for QoS 1 and removes its own after reading it', () => {
    expect(toLinkPublish({ topic: 'a', payload: bytes('x'), qos: 1, retain: false }).properties).toBeUndefined()
    const back = fromLinkPublish(toLinkPublish({ topic: 'a', payload: bytes('x'), qos: 2, retain: true }))
    expect(back).toEqual({ topic: 'a', payload: bytes('x'), qos: 2, retain: true })
  })
  it('keeps the MQTT 5 properties and the sender user properties', () => {
    const properties = {
      contentType: 'application/json',
      responseTopic: 'postbridge/reply/1',
      correlationData: bytes('1'),
      messageExpiryInterval: 30,
      userProperties: { room: 'hall' },
    }
    const back = fromLinkPublish(toLinkPublish({ topic: 'a', payload: bytes('{}'), qos: 0, retain: false, properties }))
    expect(back.properties).toEqual(properties)
    expect(back.properties?.userProperties).not.toHaveProperty(LINK_QOS_PROPERTY)
  })
  it('drops properties that belong to one hop (topic alias, subscription identifier)', () => {
    const back = fromLinkPublish({ topic: 'a', payload: bytes('x'), properties: { topicAlias: 3, subscriptionIdentifier: 7 } })
    expect(back.properties).toBeUndefined()
  })
  it('keeps user properties named like Object.prototype members, as parsed (no prototype) or from JSON', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      // mqtt-packet parses user properties into an object without a prototype; JSON.parse gives a plain one.
      const parsed = Object.assign(Object.create(null) as Record<string, string>, JSON.parse(`{"${name}":"v"}`) as Record<string, string>)
      for (const userProperties of [parsed, JSON.parse(`{"${name}":"v","other":["a","b"]}`) as Record<string, string | string[]>]) {
        for (const qos of [0, 1, 2] as const) {
          const sent = withStableId({ topic: name, payload: bytes('x'), qos, retain: false, properties: { userProperties } }, 'id-1')
          const back = takeSyncMark(withoutStableId(fromLinkPublish(toLinkPublish(sent))))
          expect([back.sync, back.message.qos, Object.entries(back.message.properties?.userProperties ?? {})]).toEqual([
            false,
            qos,
            Object.entries(userProperties),
          ])
        }
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})
