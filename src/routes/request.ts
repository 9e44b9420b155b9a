/** POST /v1/request/{topic}: publish and wait for the device's reply. */
import { createRoute, z } from '@hono/zod-openapi'
import { canReadTopic } from '../auth/token.js'
import { errReplyTimeout, errTimeoutInvalid, errUnauthorized } from '../errors.js'
import { fullLimits } from '../limits/defaults.js'
import type { Message } from '../ports/types.js'
import { timingSafeEqual, utf8 } from '../util/bytes.js'
import { arrivedBodyLimited, readBodyLimited } from './body.js'
import { emptyTopic, topicFromPath } from './topic-path.js'
import { bearerSecurity, createRouter, multiSegmentRoute, problems } from './env.js'
import { messageResponse } from './message-response.js'
import { type PlainQueryTable, readPlainQuery, schemaQuery } from './plain-query.js'
import { checkPublish, publishToBus } from './publish-message.js'
import { messageSchema, qosQuery, topicParam } from './schemas.js'
import { RESPONSE_TOPIC_PREFIX } from '../response-topic.js'

const requestQuery = z.object({
  qos: qosQuery,
  timeout: z
    .string()
    .optional()
    .openapi({ param: { name: 'timeout', in: 'query' }, description: 'milliseconds to wait; 5000 unless configured', example: '3000' }),
})
/** The spellings of requestQuery that need no schema (routes/plain-query.ts); plain-query.test.ts holds them to the schema. */
export const REQUEST_QUERY_TABLE: PlainQueryTable<z.output<typeof requestQuery>> = {
  qos: { '0': 0, '1': 1, '2': 2 },
  // Digits are what parseTimeout takes; whatever else the schema passes, parseTimeout refuses.
  timeout: /^[0-9]{1,16}$/,
}
export const REQUEST_QUERY_DEFAULTS: z.output<typeof requestQuery> = { qos: 1 }
/** Strict, as every route's query (routes/env.ts). */
export const requestQuerySchema = requestQuery.strict()

const requestRoute = createRoute({
  method: 'post',
  path: '/v1/request/{topic}',
  tags: ['request'],
  summary: 'Publish and wait for the reply',
  description:
    'Waiting requests are capped per token (429) and in total (503), with `Retry-After`. ' +
    'Publishes the body with MQTT 5 `responseTopic` (postbridge/reply/<id>) and `correlationData` (<id>). ' +
    'MQTT 3.1.1 devices, which cannot see those properties, reply on `{topic}/reply`: that reply is returned only to a ' +
    'token with read scope for `{topic}/reply`, and requests to one topic that listen there wait their turn, so replies ' +
    'never cross. The first reply is returned, raw or as the JSON envelope with `Accept: application/json`.',
  security: bearerSecurity,
  request: {
    params: topicParam,
    query: requestQuery,
    body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
  },
  responses: {
    200: {
      description: 'The reply',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) }, 'application/json': { schema: messageSchema } },
    },
    ...problems(400, 401, 403, 413, 429, 503, 504),
  },
})

function parseTimeout(raw: string | undefined, fallbackMs: number, maxMs: number): number {
  if (raw === undefined) return fallbackMs
  if (!/^\d+$/.test(raw)) throw errTimeoutInvalid.with('timeout is a whole number of milliseconds')
  const ms = Number(raw)
  if (ms < 1 || ms > maxMs) throw errTimeoutInvalid.with(`timeout must be between 1 and ${maxMs} ms`)
  return ms
}

/** A reply belongs to this request when it carries our correlation data, or carries none on the 3.1.1 reply topic. */
function isOurReply(reply: Message, correlation: Uint8Array, legacyTopic: string): boolean {
  const got = reply.properties?.correlationData
  if (got) return timingSafeEqual(got, correlation)
  return reply.topic === legacyTopic || reply.topic.startsWith(RESPONSE_TOPIC_PREFIX)
}

/**
 * One request at a time per 3.1.1 reply topic: a reply there carries nothing that says which request it answers.
 * Resolves with the release function once the caller's turn comes, or undefined if `expired` comes first.
 */
function createTurns() {
  const tails = new Map<string, Promise<void>>()
  return async (key: string, expired: Promise<void>): Promise<(() => void) | undefined> => {
    const before = tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const done = new Promise<void>((resolve) => (release = resolve))
    const tail = before.then(() => done)
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    const turn = await Promise.race([before.then(() => true), expired.then(() => false)])
    if (!turn) release()
    return turn ? release : undefined
  }
}

export function requestRoutes() {
  const app = createRouter()
  const takeTurn = createTurns()
  app.post('/v1/request/', emptyTopic)
  app.openAPIRegistry.registerPath(requestRoute)
  // Registered without app.openapi, whose validators would parse the query through zod on every request (as publish).
  app.post(multiSegmentRoute(requestRoute.path), async (c) => {
    const { qos, timeout } = readPlainQuery(c.req.url, REQUEST_QUERY_TABLE, REQUEST_QUERY_DEFAULTS) ?? (await schemaQuery(c, requestQuerySchema))
    const deps = c.get('deps')
    const topic = topicFromPath(c, '/v1/request/')
    const timeoutMs = parseTimeout(timeout, deps.limits.defaultRequestTimeoutMs, deps.limits.maxRequestTimeoutMs)
    const maxBytes = deps.limits.maxPayloadBytes
    const payload = arrivedBodyLimited(c.req.raw, maxBytes, c.env?.arrivedBody) ?? (await readBodyLimited(c.req.raw, maxBytes))
    const requestId = (deps.newId ?? (() => crypto.randomUUID()))()
    const responseTopic = RESPONSE_TOPIC_PREFIX + requestId
    const legacyTopic = `${topic}/reply`
    const correlation = utf8(requestId)
    const contentType = c.req.header('content-type')
    const message: Message = {
      topic,
      payload,
      qos,
      retain: false,
      properties: {
        responseTopic,
        correlationData: correlation,
        // Nobody waits for the answer after the timeout, so the request expires with it [MQTT-3.3.2-5]: a device
        // (or the edge queue, while home is offline) must not act on it later.
        messageExpiryInterval: Math.ceil(timeoutMs / 1000),
        ...(contentType && !contentType.startsWith('application/x-www-form-urlencoded') ? { contentType } : {}),
      },
    }
    checkPublish(deps, c.get('token').scope, message)
    // The 3.1.1 fallback hands back whatever arrives on {topic}/reply: only a token that may read it gets it.
    const useLegacy = canReadTopic(c.get('token').scope, legacyTopic)
    const listenedOn = useLegacy ? `${responseTopic} or ${legacyTopic}` : responseTopic
    const limits = fullLimits(deps.limits)
    const releaseSlot = c.get('slots').requests.acquire(c.get('token').id, { total: limits.maxRequests, perToken: limits.maxRequestsPerToken })

    let settle: (m: Message | undefined) => void = () => {}
    const replied = new Promise<Message | undefined>((resolve) => (settle = resolve))
    let expire: () => void = () => {}
    const expired = new Promise<void>((resolve) => (expire = resolve))
    const timer = setTimeout(() => {
      expire()
      settle(undefined)
    }, timeoutMs)
    let revoked = false
    const unwatch = deps.tokenWatch?.watch(c.get('token').id, () => {
      revoked = true
      expire()
      settle(undefined)
    })
    let release: (() => void) | undefined
    let unsubscribe: (() => Promise<void>) | undefined
    try {
      if (useLegacy) {
        release = await takeTurn(legacyTopic, expired)
        if (!release && !revoked) throw errReplyTimeout.with(`requests before this one to ${topic} were still waiting after ${timeoutMs} ms`)
      }
      if (revoked) throw errUnauthorized.with('the token was revoked')
      // Subscribe before publishing, or a fast device could answer before we listen.
      unsubscribe = await deps.bus.subscribe(useLegacy ? [responseTopic, legacyTopic] : [responseTopic], (reply) => {
        if (isOurReply(reply, correlation, legacyTopic)) settle(reply)
      })
      await publishToBus(deps, message)
      const reply = await replied
      if (revoked) throw errUnauthorized.with('the token was revoked')
      if (!reply) throw errReplyTimeout.with(`nothing on ${listenedOn} within ${timeoutMs} ms`)
      return messageResponse(c, reply) as never
    } finally {
      clearTimeout(timer)
      unwatch?.()
      await unsubscribe?.()
      release?.()
      releaseSlot()
    }
  })
  return app
}
