import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import type { LinkPublish } from '../src/link/packet.js'
import { createPacketReader, encodePacket, encodePublish, packetBuffer, type Packet } from './mqtt-codec.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const MAX = 64 * 1024

/** What mqtt-packet's own writer makes of the same PUBLISH: the reference encodePublish must match byte for byte. */
function reference(publish: LinkPublish, messageId: number, dup: boolean, protocolVersion: number): Uint8Array {
  // mqtt-packet writes properties in key order, and wants correlation data as its Buffer.
  const properties =
    publish.properties &&
    Object.fromEntries(Object.entries(publish.properties).map(([k, v]) => [k, k === 'correlationData' ? packetBuffer(v as Uint8Array) : v]))
  const packet = {
    cmd: 'publish' as const,
    topic: publish.topic,
    payload: packetBuffer(publish.payload),
    qos: publish.qos,
    retain: publish.retain,
    dup,
    messageId,
    ...(properties ? { properties } : {}),
  }
  return encodePacket(packet, protocolVersion)
}

function readAll(frames: Uint8Array[]): { packets: Packet[]; errors: Error[] } {
  const packets: Packet[] = []
  const errors: Error[] = []
  const reader = createPacketReader(
    (p) => packets.push(p),
    (e) => errors.push(e),
    MAX,
  )
  for (const f of frames) reader.push(f)
  return { packets, errors }
}

describe('encodePublish', () => {
  const cases: [string, LinkPublish][] = [
    ['no properties', { topic: 'home/lamp/set', payload: bytes('on'), qos: 1, retain: false }],
    ['empty payload, retained', { topic: 'a', payload: new Uint8Array(0), qos: 1, retain: true }],
    [
      'every property the link carries, in the order it writes them',
      {
        topic: 'home/ünïcode/topic',
        payload: bytes('{"x":1}'),
        qos: 1,
        retain: false,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 3600,
          contentType: 'application/json',
          responseTopic: 'reply/here',
          correlationData: new Uint8Array([0, 1, 2, 255]),
          userProperties: { 'postbridge-id': '01J0000000000000000000000', many: ['a', 'b'], 'postbridge-qos': '0' },
        },
      },
    ],
    ['a two-byte remaining length', { topic: 't', payload: new Uint8Array(200).fill(7), qos: 1, retain: false }],
    ['a three-byte remaining length', { topic: 't', payload: new Uint8Array(20_000).fill(9), qos: 1, retain: false }],
  ]
  for (const [name, publish] of cases) {
    for (const version of [5, 4]) {
      it(`writes what mqtt-packet writes: ${name}, MQTT ${version}`, () => {
        for (const [id, dup] of [
          [1, false],
          [65535, true],
          [300, false],
        ] as const) {
          expect(encodePublish(publish, id, dup, version)).toEqual(reference(publish, id, dup, version))
        }
      })
    }
  }

  it('refuses a field longer than its two-byte length allows, rather than writing a corrupt packet', () => {
    const publish: LinkPublish = { topic: 't', payload: new Uint8Array(0), qos: 1, retain: false, properties: { contentType: 'x'.repeat(70_000) } }
    expect(() => encodePublish(publish, 1, false, 5)).toThrow(RangeError)
  })
})

describe('createPacketReader', () => {
  const puback = (id: number, reasonCode?: number) =>
    encodePacket({ cmd: 'puback', messageId: id, ...(reasonCode !== undefined ? { reasonCode } : {}) } as Packet, 5)
  const publish = encodePublish(
    { topic: 'up/x', payload: bytes('hello'), qos: 1, retain: false, properties: { contentType: 'text/plain' } },
    7,
    false,
    5,
  )

  it('reads PUBACKs, a refused PUBACK and a PUBLISH from one frame, in order', () => {
    const frame = new Uint8Array([...puback(1), ...puback(2), ...puback(3, 0x80), ...publish, ...puback(65535)])
    const { packets, errors } = readAll([frame])
    expect(errors).toEqual([])
    expect(packets.map((p) => [p.cmd, (p as { messageId?: number }).messageId, (p as { reasonCode?: number }).reasonCode ?? 0])).toEqual([
      ['puback', 1, 0],
      ['puback', 2, 0],
      ['puback', 3, 0x80],
      ['publish', 7, 0],
      ['puback', 65535, 0],
    ])
    expect(packets[3]).toMatchObject({ topic: 'up/x', properties: { contentType: 'text/plain' } })
    expect(new TextDecoder().decode((packets[3] as { payload: Uint8Array }).payload)).toBe('hello')
  })

  it('reads packets cut at every byte across frames', () => {
    const stream = new Uint8Array([...puback(9), ...publish, ...puback(10)])
    for (let cut = 1; cut < stream.byteLength; cut++) {
      const { packets, errors } = readAll([stream.subarray(0, cut), stream.subarray(cut)])
      expect(errors).toEqual([])
      expect(packets.map((p) => p.cmd)).toEqual(['puback', 'publish', 'puback'])
    }
  })

  it('stops at a packet declaring more than the most it takes, before any of it is kept, and reads nothing after', () => {
    // A PUBLISH header declaring MAX bytes of remaining length (3-byte length), then its first bytes only.
    const header = new Uint8Array([0x30, 0x80, 0x80, 0x04, 0, 1, 0x74])
    const { packets, errors } = readAll([header, new Uint8Array(1000), encodePacket({ cmd: 'puback', messageId: 1 } as Packet, 5)])
    expect(errors.map((e) => e.message)).toEqual([`packet of ${MAX + 4} bytes exceeds the link's ${MAX}`])
    expect(packets).toEqual([])
  })

  it('reports a remaining length longer than four bytes as an error', () => {
    const { errors } = readAll([new Uint8Array([0x40, 0xff, 0xff, 0xff, 0xff, 0x01])])
    expect(errors.length).toBeGreaterThan(0)
  })

  it('leaves a PUBACK with reserved flags set to mqtt-packet, which refuses it', () => {
    const { packets, errors } = readAll([new Uint8Array([0x41, 0x02, 0x00, 0x01])])
    expect(packets).toEqual([])
    expect(errors.length).toBeGreaterThan(0)
  })

  it('agrees with mqtt-packet on a PUBACK with properties', () => {
    const withProps = encodePacket({ cmd: 'puback', messageId: 4, reasonCode: 0x10, properties: { reasonString: 'no subscribers' } } as Packet, 5)
    const { packets } = readAll([withProps])
    const ref: Packet[] = []
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on('packet', (p: Packet) => ref.push(p))
    parser.parse(packetBuffer(withProps))
    expect(packets).toEqual(ref)
  })
})
