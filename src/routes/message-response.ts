/** Answers with one MQTT message: its raw payload, or the JSON envelope when the client asks for JSON. */
import type { Context } from 'hono'
import { contentTypeOf, toEnvelope } from '../message.js'
import type { Message } from '../ports/types.js'

export function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? ''
  return /\bapplication\/json\b/i.test(accept)
}

/** `type/subtype` with optional parameters, in the characters a header value may hold (RFC 9110 §8.3, §5.5). */
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[\t\x20-\x7e\x80-\xff]*)?$/

/**
 * Headers of every raw payload answer. The payload is whatever a device or token published, so a browser must
 * neither guess its type (nosniff) nor run it as a page of this origin (a sandbox with nothing allowed).
 */
export const RAW_PAYLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; sandbox",
} as const

/**
 * The content type to answer with. A content type an MQTT 5 device (or a JSON envelope) set may hold CR, LF, NUL
 * or characters outside Latin-1, which no header can carry: such a payload is served as bytes, and the type it
 * was published with stays in the JSON envelope.
 */
export function safeContentType(message: Message): string {
  const type = contentTypeOf(message)
  return MEDIA_TYPE.test(type) ? type : 'application/octet-stream'
}

export function messageResponse(c: Context, message: Message): Response {
  if (wantsJson(c)) return c.json(toEnvelope(message), 200)
  const headers: Record<string, string> = {
    'content-type': safeContentType(message),
    'mqtt-topic': encodeURIComponent(message.topic),
    'mqtt-qos': String(message.qos),
    'mqtt-retain': String(message.retain),
    ...RAW_PAYLOAD_HEADERS,
  }
  return new Response(message.payload as Uint8Array<ArrayBuffer>, { status: 200, headers })
}
