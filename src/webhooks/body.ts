/** The JSON body of a webhook request, rendered once per message so every retry signs the same bytes. */
import { toEnvelope } from '../message.js'
import { stableIdOf } from '../message-id.js'
import type { Message } from '../ports/types.js'
import { randomBytes, toBase64Url } from '../util/bytes.js'

/** `msg_` + time (so ids sort by arrival) + randomness. */
export function newMessageId(nowMs: number): string {
  return `msg_${nowMs.toString(36).padStart(9, '0')}${toBase64Url(randomBytes(12))}`
}

/** The message's stable id as its webhook id (a resend of the same message keeps it), else a new one. */
export function webhookMessageId(message: Message, nowMs: number): string {
  const stable = stableIdOf(message)
  return stable !== undefined ? `msg_${stable}` : newMessageId(nowMs)
}

/**
 * `{"id","topic","payload","encoding","qos","retain","cleared","receivedAt","properties"}`; payload is UTF-8 text when
 * the bytes are valid UTF-8, else base64 (and `encoding` says which). `retain` is the flag the message was published
 * with; `cleared` is true for an empty retained message, which clears the topic's retained state [MQTT-3.3.1-10].
 * `properties` is `{}` when the message had none.
 */
export function renderWebhookBody(message: Message, messageId: string, receivedAtMs: number): string {
  const envelope = toEnvelope(message)
  return JSON.stringify({
    id: messageId,
    topic: envelope.topic,
    payload: envelope.payload,
    encoding: envelope.encoding,
    qos: envelope.qos,
    retain: envelope.retain,
    cleared: message.retain && message.payload.byteLength === 0,
    receivedAt: new Date(receivedAtMs).toISOString(),
    properties: envelope.properties ?? {},
  })
}
