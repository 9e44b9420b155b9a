/** POST /v1/request/{topic}: publish and wait for the device's reply. */
import { createRoute, z } from '@hono/zod-openapi'
import { errReplyTimeout, errTimeoutInvalid } from '../errors.js'
import { fullLimits } from '../limits/defaults.js'
import type { Message, Unsubscribe } from '../ports.js'
import { timingSafeEqual, utf8 } from '../util/bytes.js'
import { readBodyLimited } from './body.js'
import { bearerSecurity, createRouter, multiSegment, problems } from './env.js'
import { messageResponse } from './message-response.js'
import { checkPublish, publishToBus } from './publish-message.js'
import { messageSchema, qosQuery, topicParam } from './schemas.js'

/** Where MQTT 5 responders answer: unique per request, so replies never cross. */
export const RESPONSE_TOPIC_PREFIX = 'postbridge/reply/'

const requestRoute = createRoute({
  method: 'post',
  path: '/v1/request/{topic}',
  tags: ['request'],
  summary: 'Publish and wait for the reply',
  description:
    'Waiting requests are capped per token (429) and in total (503), with `Retry-After`. ' +
    'Publishes the body with MQTT 5 `responseTopic` (postbridge/reply/<id>) and `correlationData` (<id>). ' +
    'MQTT 3.1.1 devices, which cannot see those properties, reply on `{topic}/reply`. The first reply is returned, ' +
    'raw or as the JSON envelope with `Accept: application/json`.',
  security: bearerSecurity,
  request: {
    params: topicParam,
    query: z.object({
      qos: qosQuery,
      timeout: z.string().optional().openapi({ param: { name: 'timeout', in: 'query' }, description: 'milliseconds to wait; 5000 unless configured', example: '3000' }),
    }),
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

export function requestRoutes() {
  const app = createRouter()
  app.openAPIRegistry.registerPath(requestRoute)
  app.openapi({ ...requestRoute, path: multiSegment(requestRoute.path), hide: true }, async (c) => {
    const deps = c.var.deps
    const { topic } = c.req.valid('param')
    const { qos, timeout } = c.req.valid('query')
    const timeoutMs = parseTimeout(timeout, deps.limits.defaultRequestTimeoutMs, deps.limits.maxRequestTimeoutMs)
    const payload = await readBodyLimited(c.req.raw, deps.limits.maxPayloadBytes)
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
    checkPublish(deps, c.var.token.scope, message)
    const limits = fullLimits(deps.limits)
    const release = c.var.slots.requests.acquire(c.var.token.id, { total: limits.maxRequests, perToken: limits.maxRequestsPerToken })

    let settle: (m: Message | undefined) => void = () => {}
    const replied = new Promise<Message | undefined>((resolve) => (settle = resolve))
    // Subscribe before publishing, or a fast device could answer before we listen.
    let unsubscribe: Unsubscribe
    try {
      unsubscribe = await deps.bus.subscribe([responseTopic, legacyTopic], (reply) => {
        if (isOurReply(reply, correlation, legacyTopic)) settle(reply)
      })
    } catch (err) {
      release()
      throw err
    }
    const timer = setTimeout(() => settle(undefined), timeoutMs)
    try {
      await publishToBus(deps, message)
      const reply = await replied
      if (!reply) throw errReplyTimeout.with(`nothing on ${responseTopic} or ${legacyTopic} within ${timeoutMs} ms`)
      return messageResponse(c, reply) as never
    } finally {
      clearTimeout(timer)
      release()
      await unsubscribe()
    }
  })
  return app
}
