/**
 * An `outgoing-id` value holds where the message is in the queue, not a second copy of the message.
 *
 * aedes-persistence-level 9.2.0 stores a QoS 1/2 message given a packet id for a persistent session twice: under
 * `outgoing:<client>:<brokerId>:<brokerCounter>` (the queue, replayed when the session resumes) and, whole again,
 * under `outgoing-id:<client>:<messageId>`, which is only read to find the queue entry (PUBACK, PUBREC, PUBCOMP,
 * a replay of a clean session): every payload was written to LevelDB twice per delivery.
 *
 * Now the `outgoing-id` value is brokerId and brokerCounter alone, msgpack-encoded as the store decodes its values
 * (a map of two entries: no stored packet is that small, so the two kinds cannot be confused). When the store reads
 * such a value, the read answers with the queue entry it points to, so the store goes on returning the whole packet
 * as aedes-persistence's contract asks (aedes' 'ack' event carries it); with no queue entry left, with the value
 * itself, which still names the entry to delete. Values written before (whole packets) are read as they always were:
 * a node upgraded in place clears them.
 *
 * The store's private methods write and read through the Level instance, so that is where this sits: its put and
 * get are wrapped on the instance, and call the prototype's at each call (test spies on it still see them).
 */
import type { Level } from 'level'

const OUTGOING_ID = 'outgoing-id:'
const BROKER_ID = Buffer.from('brokerId')
const BROKER_COUNTER = Buffer.from('brokerCounter')

/** Where a message is in a client's queue. */
export interface QueuePlace {
  brokerId: string
  brokerCounter: number
}

/** msgpack of `{ brokerId, brokerCounter }`: fixmap 2, fixstr keys, str value, float64 counter (exact to 2^53). */
export function encodePlace(place: QueuePlace): Buffer {
  const id = Buffer.from(place.brokerId, 'utf8')
  const idHeader = id.length < 32 ? [0xa0 | id.length] : id.length < 256 ? [0xd9, id.length] : [0xda, id.length >> 8, id.length & 0xff]
  const counter = Buffer.alloc(9)
  counter[0] = 0xcb
  counter.writeDoubleBE(place.brokerCounter, 1)
  return Buffer.concat([
    Buffer.from([0x82, 0xa0 | BROKER_ID.length]),
    BROKER_ID,
    Buffer.from(idHeader),
    id,
    Buffer.from([0xa0 | BROKER_COUNTER.length]),
    BROKER_COUNTER,
    counter,
  ])
}

/** The place encodePlace wrote, or undefined for any other value (a whole packet written by an older version). */
export function decodePlace(value: Uint8Array): QueuePlace | undefined {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  let at = 0
  const expect = (part: Buffer | number[]) => {
    const ok = Buffer.from(part).equals(bytes.subarray(at, at + part.length))
    at += part.length
    return ok
  }
  if (!expect([0x82, 0xa0 | BROKER_ID.length]) || !expect(BROKER_ID)) return undefined
  const head = bytes[at]
  let length: number
  if (head === undefined) return undefined
  if ((head & 0xe0) === 0xa0) {
    length = head & 0x1f
    at += 1
  } else if (head === 0xd9 && at + 1 < bytes.length) {
    length = bytes[at + 1] as number
    at += 2
  } else if (head === 0xda && at + 2 < bytes.length) {
    length = bytes.readUInt16BE(at + 1)
    at += 3
  } else return undefined
  const brokerId = bytes.toString('utf8', at, at + length)
  at += length
  if (!expect([0xa0 | BROKER_COUNTER.length]) || !expect(BROKER_COUNTER) || bytes[at] !== 0xcb || bytes.length !== at + 9) return undefined
  return { brokerId, brokerCounter: bytes.readDoubleBE(at + 1) }
}

/** aedes-persistence-level 9.2.0's queue key of a message (outgoingKey), for the client of an `outgoing-id` key. */
function queueKey(outgoingIdKey: string, place: QueuePlace): string {
  const client = outgoingIdKey.slice(OUTGOING_ID.length, outgoingIdKey.lastIndexOf(':'))
  return `outgoing:${client}:${place.brokerId}:${String(place.brokerCounter).padStart(16, '0')}`
}

type Put = (key: string, value: unknown, options?: unknown) => Promise<void>
type Get = (key: string, options?: unknown) => Promise<unknown>

export class OutgoingIds {
  /** The packets being written by outgoingUpdate, by their `outgoing-id` key. */
  private readonly updating = new Map<string, Partial<Record<'brokerId' | 'brokerCounter', unknown>>>()

  constructor(db: Level<string, string>) {
    const proto = Object.getPrototypeOf(db) as { put: Put; get: Get }
    const self = db as unknown as { put: Put; get: Get }
    self.put = (key, value, options) => {
      const packet = typeof key === 'string' ? this.updating.get(key) : undefined
      if (packet && typeof packet.brokerId === 'string' && typeof packet.brokerCounter === 'number') {
        value = encodePlace({ brokerId: packet.brokerId, brokerCounter: packet.brokerCounter })
      }
      return proto.put.call(db, key, value, options)
    }
    self.get = async (key, options) => {
      const value = await proto.get.call(db, key, options)
      if (typeof key !== 'string' || !key.startsWith(OUTGOING_ID) || !(value instanceof Uint8Array)) return value
      const place = decodePlace(value)
      if (!place) return value
      return (await proto.get.call(db, queueKey(key, place), options)) ?? value
    }
  }

  /**
   * Runs the store's outgoingUpdate of `packet` for `clientId`, its `outgoing-id` value written as the place alone.
   * The packet is read when the value is written: by then the store has filled in the brokerId and brokerCounter
   * of a PUBREL from the value it replaces.
   */
  async update(clientId: string, packet: Record<string, unknown>, write: () => Promise<void>): Promise<void> {
    const key = `${OUTGOING_ID}${encodeURIComponent(clientId)}:${String(packet.messageId).padStart(16, '0')}`
    this.updating.set(key, packet)
    try {
      await write()
    } finally {
      if (this.updating.get(key) === packet) this.updating.delete(key)
    }
  }
}
