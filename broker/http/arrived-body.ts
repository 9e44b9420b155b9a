/**
 * A request whose whole body has already arrived hands it over at once. A small body (a publish's few bytes) is
 * usually parsed with the headers, before any route reads it; reading it through the stream still switched the
 * request to flowing mode and waited on 'data' and 'end' events, listeners added and removed, a promise and
 * several ticks per request. @hono/node-server reads `incoming.rawBody` instead of the stream when it is a Buffer
 * (the hook Node hosts that buffer bodies themselves use), so this class offers the body there once it is
 * complete; a body still arriving is left to the stream as before.
 */
import { IncomingMessage } from 'node:http'

export class ArrivedBodyMessage extends IncomingMessage {
  #body: Buffer | undefined

  /** The whole body if it has arrived and nothing has read it yet, else undefined (read the stream). */
  get rawBody(): Buffer | undefined {
    if (this.#body) return this.#body
    if (this.readableDidRead || this.destroyed || this.readableEncoding !== null) return undefined
    // HTTP framing holds the body to its declared length: all of it is buffered once that many bytes are. (The
    // request is not yet `complete` then: a route runs between the parser's body and message-complete callbacks.)
    const declared = this.headers['content-length']
    if (declared === undefined || Number(declared) !== this.readableLength || this.readableLength === 0) return undefined
    const body = this.read() as Buffer | null
    if (body === null) return undefined
    this.#body = body
    // Flowing, so that the end of the message, still to be parsed, is read and 'end' is emitted as if the body had
    // been streamed: the server and the adapter count on it to reuse the connection without draining.
    this.resume()
    return body
  }
}
