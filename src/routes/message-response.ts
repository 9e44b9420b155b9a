/** Answers with one MQTT message: its raw payload, or the JSON envelope when the client asks for JSON. */
import type { Context } from 'hono'
import { contentTypeOf, toEnvelope } from '../message.js'
import type { Message } from '../ports.js'

export function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? ''
  return /\bapplication\/json\b/i.test(accept)
}

export function messageResponse(c: Context, message: Message): Response {
  if (wantsJson(c)) return c.json(toEnvelope(message), 200)
  const headers: Record<string, string> = {
    'content-type': contentTypeOf(message),
    'mqtt-topic': encodeURIComponent(message.topic),
    'mqtt-qos': String(message.qos),
    'mqtt-retain': String(message.retain),
  }
  return new Response(message.payload as Uint8Array<ArrayBuffer>, { status: 200, headers })
}
