/**
 * How mqtt-packet writes 2-byte numbers (packet identifiers, topic and string lengths). By default it builds, on
 * the first packet written, a cache of all 65,536 of them as Buffers, and keeps it for the life of the process:
 * ~6.7 MB of heap as soon as one device connects, more than a thousand idle devices' sessions weigh together.
 * Uncached, each number is two bytes from Node's buffer pool, made as it is written.
 */
import mqttPacket from 'mqtt-packet'

/** Call before the first packet is written; the setting is mqtt-packet's own, for every writer in the process. */
export function writeNumbersUncached(): void {
  mqttPacket.writeToStream.cacheNumbers = false
}
