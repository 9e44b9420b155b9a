/**
 * The retained messages under `$SYS/`, kept in memory for the life of the process and never written to the broker's
 * LevelDB, as mosquitto does: they are statistics of this run (sys-stats.ts), rebuilt at start, and were most of an
 * idle node's disk writes. Read back with the store's retained messages, in the store's order (by topic, as LevelDB
 * orders its keys).
 */
import { Readable } from 'node:stream'
import { matchLevels } from '../../src/topic/match.js'
import type { StoredPacket } from './persistence.js'

const PREFIX = '$SYS/'

/** Whether a retained message of `topic` is kept here rather than in LevelDB. */
export function isKeptInMemory(topic: string): boolean {
  return topic.startsWith(PREFIX)
}

/** LevelDB's key range of the `$SYS/` retained messages an earlier version stored (key layout: `retained:<topic>`). */
export const STORED_SYS_RANGE = { gte: `retained:${PREFIX}`, lt: `retained:${PREFIX.slice(0, -1)}0` }

/** Whether `a` sorts before `b` as LevelDB compares keys: as UTF-8 bytes. */
function before(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0
}

export class SysRetained {
  private readonly byTopic = new Map<string, StoredPacket>()

  get size(): number {
    return this.byTopic.size
  }

  /** Keeps `packet` as its topic's retained message; an empty payload removes it [MQTT-3.3.1-10]. */
  store(packet: StoredPacket): void {
    if (packet.payload === undefined || packet.payload.length === 0) this.byTopic.delete(packet.topic)
    else this.byTopic.set(packet.topic, { ...packet })
  }

  /** Copies of the messages whose topic `pattern` matches, by topic as LevelDB orders them (none: the same array). */
  matching(pattern: string): StoredPacket[] {
    // Every device's SUBSCRIBE asks: a filter whose first level is a name other than `$SYS` matches none of them.
    const [first] = pattern.split('/', 1)
    if (first !== '$SYS' && first !== '+' && first !== '#') return NONE
    let found: StoredPacket[] | undefined
    for (const [topic, packet] of this.byTopic) {
      if (matchLevels(pattern, topic)) (found ??= []).push({ ...packet })
    }
    return found === undefined ? NONE : found.sort((a, b) => (before(a.topic, b.topic) ? -1 : 1))
  }
}

const NONE: StoredPacket[] = []

/** Each pattern's stored packets (by topic) with the same pattern's packets from memory merged in, pattern by pattern. */
export function mergedByTopic(parts: { stored: Readable; kept: StoredPacket[] }[]): Readable {
  return Readable.from(merge(parts))
}

async function* merge(parts: { stored: Readable; kept: StoredPacket[] }[]): AsyncGenerator<StoredPacket> {
  for (const { stored, kept } of parts) {
    let next = 0
    for await (const packet of stored as AsyncIterable<StoredPacket>) {
      while (next < kept.length && before(kept[next]!.topic, packet.topic)) yield kept[next++]!
      yield packet
    }
    while (next < kept.length) yield kept[next++]!
  }
}
