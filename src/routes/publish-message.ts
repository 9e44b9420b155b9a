/** The checks every HTTP publish goes through, whichever route it came by. */
import type { Context } from 'hono'
import { canPublish } from '../auth/token.js'
import { errBusUnavailable, errForbidden, errPayloadEncoding, errPayloadTooLarge, errTopicInvalid } from '../errors.js'
import { propertiesFromJson } from '../message.js'
import type { Message, PublishReceipt, Scope } from '../ports/types.js'
import type { Deps } from '../ports/deps.js'
import { validateTopicName } from '../topic/validate.js'
import { fromBase64, utf8 } from '../util/bytes.js'
import type { PublishEnvelope } from './schemas.js'

/** Refuses a message the caller may not publish; throws an ApiError naming the problem. */
export function checkPublish(deps: Deps, scope: Scope, message: Message): void {
  const reason = validateTopicName(message.topic)
  if (reason) throw errTopicInvalid.with(reason)
  if (!canPublish(scope, message.topic)) throw errForbidden.with(`no publish scope for "${message.topic}"`)
  if (message.payload.byteLength > deps.limits.maxPayloadBytes) {
    throw errPayloadTooLarge.with(`limit is ${deps.limits.maxPayloadBytes} bytes`, { limitBytes: deps.limits.maxPayloadBytes })
  }
  const responseTopic = message.properties?.responseTopic
  if (responseTopic !== undefined) {
    const r = validateTopicName(responseTopic)
    if (r) throw errTopicInvalid.with(`properties.responseTopic: ${r}`)
  }
}

/** Turns a JSON envelope into a message; throws on a payload that does not fit its encoding. */
export function messageFromEnvelope(envelope: PublishEnvelope, where = ''): Message {
  let payload: Uint8Array | undefined
  if (envelope.encoding === 'base64') {
    payload = typeof envelope.payload === 'string' ? fromBase64(envelope.payload) : undefined
    if (!payload) throw errPayloadEncoding.with(`${where}payload is not base64 text`)
  } else if (envelope.encoding === 'json') {
    payload = utf8(JSON.stringify(envelope.payload ?? null))
  } else {
    if (typeof envelope.payload !== 'string')
      throw errPayloadEncoding.with(`${where}payload must be a string for encoding utf8 (use encoding json for JSON values)`)
    payload = utf8(envelope.payload)
  }
  const properties = propertiesFromJson(envelope.properties)
  if (envelope.properties && !properties) throw errPayloadEncoding.with(`${where}properties.correlationData is not base64`)
  const withJsonType = envelope.encoding === 'json' && !properties?.contentType ? { ...properties, contentType: 'application/json' } : properties
  return { topic: envelope.topic, payload, qos: envelope.qos, retain: envelope.retain, ...(withJsonType ? { properties: withJsonType } : {}) }
}

/** What a publish answers: the message's id and what was published. */
export interface Receipt {
  id: string
  topic: string
  qos: number
  retain: boolean
  bytes: number
  queued?: true
}

/**
 * Publishes through the bus; a broker failure, thrown or rejected, is a 503, not a 500, since the caller may retry.
 * Written with then, not as an async function: every publish comes through here, and the async frame was one more
 * promise and one more turn of the microtask queue for each.
 */
export function publishToBus(deps: Deps, message: Message): Promise<Receipt> {
  let published: Promise<PublishReceipt>
  try {
    published = deps.bus.publish(message)
  } catch (err) {
    return Promise.reject(busFailure(deps, message, err))
  }
  return published.then(
    (receipt) => {
      const base = { id: receipt.id, topic: message.topic, qos: message.qos, retain: message.retain, bytes: message.payload.byteLength }
      return receipt.queued ? { ...base, queued: true } : base
    },
    (err: unknown) => {
      throw busFailure(deps, message, err)
    },
  )
}

function busFailure(deps: Deps, message: Message, err: unknown): Error {
  deps.log.warn({ err: String(err), topic: message.topic }, 'publish failed')
  return errBusUnavailable.with(err instanceof Error ? err.message : String(err))
}

/**
 * `JSON.stringify(receipt)`, written out: every publish answers one, its shape is fixed, and only its two strings
 * need the serializer. publish-message.test.ts holds the two to the same text.
 */
export function receiptJson(r: Receipt): string {
  const queued = r.queued ? ',"queued":true' : ''
  return `{"id":${JSON.stringify(r.id)},"topic":${JSON.stringify(r.topic)},"qos":${r.qos},"retain":${r.retain},"bytes":${r.bytes}${queued}}`
}

/** The answer to a publish of one message, as c.json(receipt, publishStatus([receipt])) gives it. */
export function receiptResponse(c: Context, receipt: Receipt): Response {
  return c.body(receiptJson(receipt), receipt.queued ? 202 : 200, { 'Content-Type': 'application/json' })
}

/** 202 when the bus only stored the message for later (the edge while home is offline), else 200. */
export function publishStatus(results: { queued?: true }[]): 200 | 202 {
  return results.some((r) => r.queued) ? 202 : 200
}
