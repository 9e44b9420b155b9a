/**
 * Packets written to one client in one event-loop turn leave in one socket write.
 *
 * mqtt-packet corks the stream for each packet and uncorks it on process.nextTick, so a packet's
 * few chunks (header, topic, payload) go out in one writev, but every packet is a writev of its own:
 * each incoming packet and each store completion is its own I/O callback with its own nextTick
 * queue. At QoS 1 those syscalls were over a quarter of the broker's CPU. Holding one more cork
 * until setImmediate (the check phase of the same loop turn, after the poll phase's callbacks)
 * turns the N packets a turn writes to a socket into one writev.
 *
 * Backpressure is unchanged in kind: a corked stream still counts what it holds against its
 * highWaterMark, so write() returns false (and aedes waits for 'drain') once a turn has buffered that
 * much for one client. A socket destroyed before the release drops what it held, as it would have
 * dropped an unwritten buffer anyway; uncorking it is harmless. Immediates run in the order they
 * were scheduled, and aedes continues after a write with setImmediate, so what a client was written
 * before aedes closes it is flushed before that close.
 */
import type { Writable } from 'node:stream'

let held = new Set<Writable>()
let scheduled = false

function release(): void {
  scheduled = false
  const streams = held
  held = new Set()
  for (const stream of streams) stream.uncork()
}

/** Keeps `stream` corked until the end of this event-loop turn (once per turn, whatever is written meanwhile). */
export function holdUntilTurnEnds(stream: Writable): void {
  if (held.has(stream) || stream.destroyed || stream.writableEnded) return
  stream.cork()
  held.add(stream)
  if (!scheduled) {
    scheduled = true
    setImmediate(release)
  }
}
