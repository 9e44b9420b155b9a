/**
 * Correction to aedes 2.0.0-beta.1: a retained-message read that fails does not end the process.
 *
 * Defect (lib/handlers/subscribe.js, completeSubscribe): the store's retained stream is `pipe`d into
 * the sender with no 'error' listener, so a failed read (the store closing while a client subscribes
 * during shutdown: LEVEL_ITERATOR_NOT_OPEN, or a damaged store) is an uncaught exception. Hostile
 * input or an unlucky moment must never end the process: the error is logged, and that subscription
 * gets no retained messages ([MQTT-3.3.1-9] asks for them, but a store that cannot be read has none to
 * give).
 */
import type { Readable } from 'node:stream'
import type { Logger } from '../../../src/ports/logger.js'

interface RetainedStore {
  createRetainedStream(pattern: string): Readable
  createRetainedStreamCombi(patterns: string[]): Readable
}

export function guardRetainedStreams(store: RetainedStore, log: Logger): void {
  const single = store.createRetainedStream.bind(store)
  const combi = store.createRetainedStreamCombi.bind(store)
  const guard = (stream: Readable): Readable => stream.on('error', (err) => log.warn({ err }, 'mqtt retained messages could not be read'))
  store.createRetainedStream = (pattern) => guard(single(pattern))
  store.createRetainedStreamCombi = (patterns) => guard(combi(patterns))
}
