/** User properties through msgpack-lite, the encoding of aedes-persistence-level's retained messages and Wills. */
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { fromStored, readStored, toStored } from './stored-user-properties.js'

// The copy aedes-persistence-level itself loads.
const require = createRequire(import.meta.url)
const msgpack = createRequire(require.resolve('aedes-persistence-level'))('msgpack-lite') as {
  encode(value: unknown): Buffer
  decode(blob: Buffer): never
}

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'plain']
const throughStore = <P extends { properties?: Record<string, unknown> }>(packet: P): P =>
  fromStored(msgpack.decode(msgpack.encode(toStored(packet))) as P)

describe('user properties of a stored packet', () => {
  it('come back with every name as an own key, one value or several', () => {
    for (const name of NAMES) {
      const userProperties = JSON.parse(`{"${name}":"v","list":["a","b"]}`) as Record<string, string | string[]>
      const listed = JSON.parse(`{"${name}":["a","b"]}`) as Record<string, string[]>
      for (const users of [userProperties, listed]) {
        const back = throughStore({ topic: 't', payload: Buffer.from('x'), properties: { contentType: 'c', userProperties: users } })
        expect([name, Object.getPrototypeOf(back.properties.userProperties), Object.entries(back.properties.userProperties)]).toEqual([
          name,
          Object.prototype,
          Object.entries(users),
        ])
        expect(back.properties.contentType).toBe('c')
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('leave aedes own packet as it is, and a packet without them, or stored before, reads as it was', () => {
    const packet = { topic: 't', properties: { userProperties: { a: 'b' } } }
    expect(toStored(packet)).not.toBe(packet)
    expect(packet.properties.userProperties).toEqual({ a: 'b' })
    const bare = { topic: 't', properties: { contentType: 'c' } }
    expect(toStored(bare)).toBe(bare)
    expect(fromStored(msgpack.decode(msgpack.encode(packet)))).toEqual(packet)
    expect(fromStored(undefined)).toBeUndefined()
  })

  it('in a stream of stored packets (retained messages, Wills)', async () => {
    const stored = NAMES.map((name) =>
      msgpack.decode(msgpack.encode(toStored({ topic: name, properties: { userProperties: JSON.parse(`{"${name}":"v"}`) } }))),
    )
    const read: { topic: string; properties: { userProperties: object } }[] = []
    for await (const p of readStored(Readable.from(stored))) read.push(p)
    expect(read.map((p) => [p.topic, Object.entries(p.properties.userProperties)])).toEqual(NAMES.map((n) => [n, [[n, 'v']]]))
  })
})
