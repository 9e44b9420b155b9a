/**
 * One seam on what aedes writes to a client: every packet goes through mqtt-packet's
 * `writeToStream(packet, stream)`, which aedes looks up on the module object at each call, and each
 * connection's stream points back at its aedes client (`stream.client`). The wrapper runs the
 * rewrites registered for that client's broker, in order, on the packet about to be encoded; other
 * users of mqtt-packet in the process (mqtt.js) and other brokers are left alone.
 *
 * A rewrite returns the packet to write: the same object, or a copy. It must never change the packet
 * it was given, which aedes may still hold (a stored session's queue, the retry of a QoS 1 message).
 *
 * The same seam holds the client's stream corked until the end of the loop turn (write-batch.ts).
 */
import type { Writable } from 'node:stream'
import mqttPacket from 'mqtt-packet'
import type { ClientInternals } from '../aedes-internals.js'
import { holdUntilTurnEnds } from './write-batch.js'

export interface OutgoingPacket {
  cmd: string
  topic?: string
  reasonCode?: number
  properties?: Record<string, unknown>
  [key: string]: unknown
}

export type Rewrite = (packet: OutgoingPacket, client: ClientInternals) => OutgoingPacket

type WriteToStream = (packet: OutgoingPacket, stream: unknown, opts?: unknown) => boolean

const rewrites = new WeakMap<object, Rewrite[]>()
let installed = false

/** Runs `rewrite` on every packet `broker` writes to its clients. */
export function onWrite(broker: object, rewrite: Rewrite): void {
  const list = rewrites.get(broker) ?? []
  list.push(rewrite)
  rewrites.set(broker, list)
  if (installed) return
  installed = true
  const codec = mqttPacket as unknown as { writeToStream: WriteToStream }
  const writeToStream = codec.writeToStream
  codec.writeToStream = (packet, stream, opts) => {
    const client = (stream as { client?: ClientInternals & { broker?: object } } | null)?.client
    const list = client?.broker && rewrites.get(client.broker)
    let out = packet
    if (list) {
      holdUntilTurnEnds(stream as Writable)
      for (const rewrite of list) out = rewrite(out, client)
    }
    return writeToStream(out, stream, opts)
  }
}
