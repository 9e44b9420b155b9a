/** POST /v1/publish/{topic}, POST /v1/publish, POST /v1/publish/bulk */
import { createRoute, z } from '@hono/zod-openapi'
import { errInvalidRequest } from '../errors.js'
import type { Message } from '../ports/types.js'
import { arrivedBodyLimited, readBodyLimited } from './body.js'
import { emptyTopic, topicFromPath } from './topic-path.js'
import { bearerSecurity, createRouter, multiSegmentRoute, problems } from './env.js'
import { type PlainQueryTable, readPlainQuery, schemaQuery } from './plain-query.js'
import { checkPublish, messageFromEnvelope, publishStatus, publishToBus, receiptResponse } from './publish-message.js'
import { booleanQuery, publishEnvelopeSchema, qosQuery, receiptSchema, topicParam } from './schemas.js'

const rawQuery = z.object({ qos: qosQuery, retain: booleanQuery('retain', 'keep as the retained message of the topic') })
/** The spellings of rawQuery that need no schema (routes/plain-query.ts); plain-query.test.ts holds them to the schema. */
export const RAW_QUERY_TABLE: PlainQueryTable<z.output<typeof rawQuery>> = {
  qos: { '0': 0, '1': 1, '2': 2 },
  retain: { true: true, false: false, '1': true, '0': false },
}
export const RAW_QUERY_DEFAULTS: z.output<typeof rawQuery> = { qos: 1, retain: false }
/** Strict, as every route's query (routes/env.ts). */
export const rawQuerySchema = rawQuery.strict()

const rawRoute = createRoute({
  method: 'post',
  path: '/v1/publish/{topic}',
  tags: ['publish'],
  summary: 'Publish the request body to a topic',
  description: "The body is the payload, byte for byte. A 200 for qos 1 or 2 means the message is in the broker's persistent store.",
  security: bearerSecurity,
  request: {
    params: topicParam,
    query: rawQuery,
    body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
  },
  responses: {
    200: { description: 'Accepted by the broker', content: { 'application/json': { schema: receiptSchema } } },
    202: {
      description: 'Queued at the edge while home is offline; delivered in order when it reconnects',
      content: { 'application/json': { schema: receiptSchema } },
    },
    ...problems(400, 401, 403, 413, 503),
  },
})

const jsonRoute = createRoute({
  method: 'post',
  path: '/v1/publish',
  tags: ['publish'],
  summary: 'Publish a JSON envelope (base64 payloads, MQTT 5 properties)',
  security: bearerSecurity,
  request: { body: { required: true, content: { 'application/json': { schema: publishEnvelopeSchema } } } },
  responses: {
    200: { description: 'Accepted by the broker', content: { 'application/json': { schema: receiptSchema } } },
    202: {
      description: 'Queued at the edge while home is offline; delivered in order when it reconnects',
      content: { 'application/json': { schema: receiptSchema } },
    },
    ...problems(400, 401, 403, 413, 503),
  },
})

const bulkRoute = createRoute({
  method: 'post',
  path: '/v1/publish/bulk',
  tags: ['publish'],
  summary: 'Publish several envelopes in order',
  description: 'Every envelope is checked before any is published: one bad envelope refuses the whole batch.',
  security: bearerSecurity,
  request: { body: { required: true, content: { 'application/json': { schema: z.array(publishEnvelopeSchema) } } } },
  responses: {
    200: { description: 'All accepted by the broker', content: { 'application/json': { schema: z.object({ results: z.array(receiptSchema) }) } } },
    202: {
      description: 'Some queued at the edge while home is offline',
      content: { 'application/json': { schema: z.object({ results: z.array(receiptSchema) }) } },
    },
    ...problems(400, 401, 403, 413, 503),
  },
})

export function publishRoutes() {
  const app = createRouter()
  // Registered before the raw route so that "bulk" is not taken for a topic name.
  app.openapi(bulkRoute, async (c) => {
    const deps = c.get('deps')
    const envelopes = c.req.valid('json')
    if (envelopes.length === 0) throw errInvalidRequest.with('the batch is empty')
    if (envelopes.length > deps.limits.maxBulk) throw errInvalidRequest.with(`at most ${deps.limits.maxBulk} messages per batch`)
    const messages: Message[] = envelopes.map((e, i) => {
      const m = messageFromEnvelope(e, `[${i}].`)
      checkPublish(deps, c.get('token').scope, m)
      return m
    })
    const results = []
    for (const m of messages) results.push(await publishToBus(deps, m))
    return c.json({ results }, publishStatus(results))
  })

  app.openapi(jsonRoute, async (c) => {
    const deps = c.get('deps')
    const message = messageFromEnvelope(c.req.valid('json'))
    checkPublish(deps, c.get('token').scope, message)
    const receipt = await publishToBus(deps, message)
    return c.json(receipt, publishStatus([receipt]))
  })

  app.post('/v1/publish/', emptyTopic)
  app.openAPIRegistry.registerPath(rawRoute)
  // Registered without app.openapi, whose validators would parse the query through zod and the topic parameter
  // (which cannot fail: topicFromPath reads the path itself) on every publish; the query is checked here instead.
  app.post(multiSegmentRoute(rawRoute.path), async (c) => {
    const { qos, retain } = readPlainQuery(c.req.url, RAW_QUERY_TABLE, RAW_QUERY_DEFAULTS) ?? (await schemaQuery(c, rawQuerySchema))
    const deps = c.get('deps')
    const topic = topicFromPath(c, '/v1/publish/')
    const contentType = c.req.header('content-type')
    const maxBytes = deps.limits.maxPayloadBytes
    const payload = arrivedBodyLimited(c.req.raw, maxBytes, c.env?.arrivedBody) ?? (await readBodyLimited(c.req.raw, maxBytes))
    const message: Message = {
      topic,
      payload,
      qos,
      retain,
      // Keep the sender's content type so MQTT 5 subscribers and GET /v1/retained can hand it back.
      ...(contentType && !contentType.startsWith('application/x-www-form-urlencoded') ? { properties: { contentType } } : {}),
    }
    checkPublish(deps, c.get('token').scope, message)
    return receiptResponse(c, await publishToBus(deps, message))
  })
  return app
}
