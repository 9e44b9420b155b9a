/**
 * Requests Node's HTTP parser refuses before any route sees them (Content-Length with Transfer-Encoding,
 * a duplicate Content-Length, headers over the limit, a malformed request line) got an empty 400 or 431. They
 * now get problem+json like every other error, where the socket can still take an answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { errHeadersTooLarge, errMalformedRequest, type ApiError } from '../../src/errors.js'

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

function problemFor(err: NodeJS.ErrnoException): ApiError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return errHeadersTooLarge
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return errMalformedRequest.with('Content-Length and Transfer-Encoding together (RFC 9112 §6.3)')
    case 'HPE_INVALID_CONTENT_LENGTH':
      return errMalformedRequest.with('Content-Length is invalid or given twice (RFC 9112 §6.3)')
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return errMalformedRequest.with('Transfer-Encoding is invalid (RFC 9112 §6.1)')
    default:
      return errMalformedRequest.with('the request is not valid HTTP/1.1')
  }
}

/** The http server's 'clientError' listener: answer with problem+json and close, or just close. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset peer cannot read an answer, and a response already under way must not be interleaved with one.
  const busy = (socket as Duplex & { _httpMessage?: unknown })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || busy) {
    socket.destroy()
    return
  }
  const problem = problemFor(err)
  const body = JSON.stringify(problem.toProblem())
  socket.end(
    `HTTP/1.1 ${problem.status} ${REASONS[problem.status] ?? 'Bad Request'}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Node (requireHostHeader) and @hono/node-server (which
 * cannot build the URL, for HTTP/1.0 too) answer it with an empty body; the server turns the first off and calls
 * this before the app. True when it answered.
 */
export function refuseMissingHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined) return false
  const problem = errMalformedRequest.with('a request needs a Host header (RFC 9112 §3.2)')
  const body = JSON.stringify(problem.toProblem())
  res.writeHead(problem.status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), connection: 'close' })
  res.end(body)
  return true
}
