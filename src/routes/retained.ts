/** GET /v1/retained/{topic}, GET /v1/retained?filter=, DELETE /v1/retained/{topic} */
import { createRoute, z } from '@hono/zod-openapi'
import { canPublish, canReadTopic } from '../auth/token.js'
import { errFilterInvalid, errForbidden, errInvalidRequest, errNoRetained, errTopicInvalid } from '../errors.js'
import { API_LIMIT_DEFAULTS, fullLimits } from '../limits/defaults.js'
import { validateTopicFilter, validateTopicName } from '../topic/validate.js'
import { bearerSecurity, createRouter, multiSegmentRoute, problems } from './env.js'
import { messageResponse } from './message-response.js'
import { emptyTopic, topicFromPath } from './topic-path.js'
import { type PlainQueryTable, readPlainQuery, schemaQuery } from './plain-query.js'
import { decodeCursor, PageCollector } from './retained-page.js'
import type { Message } from '../ports/types.js'
import { messageSchema, topicParam } from './schemas.js'

const getRoute = createRoute({
  method: 'get',
  path: '/v1/retained/{topic}',
  tags: ['retained'],
  summary: 'The retained message of a topic',
  description: 'The raw payload with its content type; the JSON envelope with `Accept: application/json`.',
  security: bearerSecurity,
  request: { params: topicParam },
  responses: {
    200: {
      description: 'The retained message',
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) }, 'application/json': { schema: messageSchema } },
    },
    ...problems(400, 401, 403, 404),
  },
})

const LIMIT = /^[1-9]\d{0,5}$/

const listQuery = z.object({
  filter: z.string().default('#').openapi({ description: 'MQTT topic filter', example: 'home/#' }),
  limit: z
    .string()
    .regex(LIMIT, 'limit must be a whole number from 1')
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      description: `messages per page; ${API_LIMIT_DEFAULTS.retainedPageSize} unless given, at most ${API_LIMIT_DEFAULTS.maxRetainedPageSize}`,
    }),
  cursor: z
    .string()
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'the `next` of the previous page' }),
})
/**
 * The values of listQuery that need no schema (routes/plain-query.ts); plain-query.test.ts holds them to the schema.
 * A filter with `+` or `#` is always escaped in a URL, so those take the schema's path; the plain ones are common.
 */
export const LIST_QUERY_TABLE: PlainQueryTable<z.output<typeof listQuery>> = {
  filter: /^[A-Za-z0-9\-._~/!$'()*,;:@]{1,1024}$/,
  limit: LIMIT,
  // A cursor is base64url (retained-page.ts).
  cursor: /^[A-Za-z0-9_-]{1,87400}$/,
}
export const LIST_QUERY_DEFAULTS: z.output<typeof listQuery> = { filter: '#' }
/** Strict, as every route's query (routes/env.ts). */
export const listQuerySchema = listQuery.strict()
/** The topic routes take no query: every name is unknown, and the schema refuses it. */
const noQuerySchema = z.strictObject({})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/retained',
  tags: ['retained'],
  summary: 'Retained messages whose topic matches a filter, a page at a time',
  description:
    'Pages are in topic order. A page holds at most `limit` messages and about `http.retainedPageBytes` of envelopes ' +
    '(always at least one message); when more follow, `next` is the `cursor` of the next page.',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'Matching retained messages',
      content: {
        'application/json': {
          schema: z.object({
            messages: z.array(messageSchema),
            next: z.string().optional().openapi({ description: 'cursor of the next page; absent on the last page' }),
          }),
        },
      },
    },
    ...problems(400, 401, 403),
  },
})

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/retained/{topic}',
  tags: ['retained'],
  summary: 'Clear the retained message of a topic',
  security: bearerSecurity,
  request: { params: topicParam },
  responses: { 204: { description: 'Cleared (or there was none)' }, ...problems(400, 401, 403) },
})

function checkedTopic(topic: string): string {
  const reason = validateTopicName(topic)
  if (reason) throw errTopicInvalid.with(reason)
  return topic
}

export function retainedRoutes() {
  const app = createRouter()
  // Each registered without app.openapi, whose validators would parse the query (and the topic parameter, which
  // cannot fail: topicFromPath reads the path itself) through zod on every request; as publish, they read it here.
  app.openAPIRegistry.registerPath(listRoute)
  app.get(listRoute.path, async (c) => {
    const { filter, limit, cursor } = readPlainQuery(c.req.url, LIST_QUERY_TABLE, LIST_QUERY_DEFAULTS) ?? (await schemaQuery(c, listQuerySchema))
    const limits = fullLimits(c.get('deps').limits)
    const pageSize = limit === undefined ? limits.retainedPageSize : Number(limit)
    if (pageSize > limits.maxRetainedPageSize) throw errInvalidRequest.with(`limit is at most ${limits.maxRetainedPageSize}`)
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    const reason = validateTopicFilter(filter)
    if (reason) throw errFilterInvalid.with(reason)
    const scope = c.get('token').scope
    if (!scope.admin && scope.read.length === 0) throw errForbidden.with('token has no read scope')
    // A narrower token still lists what it may read, so filter by topic rather than refusing the filter.
    const collector = new PageCollector({ ...(after !== undefined ? { after } : {}), limit: pageSize, maxBytes: limits.retainedPageBytes })
    const offer = (m: Message) => {
      if (canReadTopic(scope, m.topic)) collector.offer(m)
    }
    // A bus that can stream retained messages never holds more than the page in memory.
    const bus = c.get('deps').bus
    if (bus.eachRetained) await bus.eachRetained(filter, offer)
    else for (const m of await bus.retained(filter)) offer(m)
    return c.json(collector.result(), 200)
  })

  app.get('/v1/retained/', emptyTopic)
  app.delete('/v1/retained/', emptyTopic)
  app.openAPIRegistry.registerPath(getRoute)
  app.get(multiSegmentRoute(getRoute.path), async (c) => {
    if (!readPlainQuery(c.req.url, {}, {})) await schemaQuery(c, noQuerySchema)
    const topic = checkedTopic(topicFromPath(c, '/v1/retained/'))
    if (!canReadTopic(c.get('token').scope, topic)) throw errForbidden.with(`no read scope for "${topic}"`)
    const [message] = await c.get('deps').bus.retained(topic)
    if (!message) throw errNoRetained.with(topic)
    return messageResponse(c, message) as never
  })

  app.openAPIRegistry.registerPath(deleteRoute)
  app.delete(multiSegmentRoute(deleteRoute.path), async (c) => {
    if (!readPlainQuery(c.req.url, {}, {})) await schemaQuery(c, noQuerySchema)
    const topic = checkedTopic(topicFromPath(c, '/v1/retained/'))
    // Clearing is a publish (an empty retained message), so it needs publish scope.
    if (!canPublish(c.get('token').scope, topic)) throw errForbidden.with(`no publish scope for "${topic}"`)
    await c.get('deps').bus.clearRetained(topic)
    return c.body(null, 204)
  })
  return app
}
