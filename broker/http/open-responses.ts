/**
 * The responses the HTTP server has not finished yet, counted for shutdown to wait on.
 *
 * A count, not a Set of the responses: a Set with one entry added and one deleted per request rehashes every few
 * dozen requests, and each table it replaces keeps a link to its successor along with the responses that were in
 * flight at the time. That chain of tables outlived every young-generation collection until the next full one, so
 * under load a REST publish that answers a turn later (one delivered to an MQTT subscriber) had about 2.5 KB of its
 * objects promoted to the old generation, and every scavenge copied them.
 */
import type { ServerResponse } from 'node:http'

export class OpenResponses {
  #count = 0
  /** One listener for every response, not a closure and a once-wrapper per request. A response closes once. */
  readonly #closed = (): void => {
    this.#count--
  }

  /** Responses tracked and not yet closed (finished, or their connection gone). */
  get size(): number {
    return this.#count
  }

  track(res: ServerResponse): void {
    this.#count++
    res.on('close', this.#closed)
  }
}
