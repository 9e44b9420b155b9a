/** /v1/webhooks: register HTTP receivers for MQTT messages; list their deliveries, test them, replay dead messages. */
import { createRoute, z } from '@hono/zod-openapi'
import { canReadFilter } from '../auth/token.js'
import { topicFilterSchema } from '../config.js'
import { ownKeyRecord } from '../config/own-key-record.js'
import { errForbidden, errNotAvailable, errNotFound } from '../errors.js'
import type { WebhookService, WebhookView } from '../webhooks/ports.js'
import type { AppContext } from './env.js'
import { bearerSecurity, createRouter, problems } from './env.js'

const HEADERS_EXAMPLE = { Authorization: 'Bearer ...' }
// Every header name is kept, `__proto__` too (own-key-record.ts); documented as the record it is. One instance per
// use, so each has its own copy in the document as z.record's did.
const headersSchema = () =>
  ownKeyRecord(z.string(), z.string()).openapi({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Extra request headers, e.g. Authorization for the receiver',
    example: HEADERS_EXAMPLE,
  })

const webhookSchema = z
  .object({
    id: z.string(),
    filter: z.string(),
    url: z.string(),
    headerNames: z.array(z.string()).openapi({ description: 'Names of the extra headers; their values are never shown' }),
    enabled: z.boolean(),
    disabledReason: z
      .enum(['gone', 'revoked'])
      .optional()
      .openapi({ description: '"gone": the receiver answered 410 and the webhook was disabled; "revoked": the token that created it was revoked' }),
    source: z.enum(['api', 'config']),
    createdAt: z.string(),
    updatedAt: z.string(),
    pending: z.number().int().openapi({ description: 'Messages waiting to be delivered' }),
    dead: z.number().int().openapi({ description: 'Messages that ran out of attempts; POST .../replay sends them again' }),
  })
  .openapi('Webhook')

const createBody = z
  .strictObject({
    filter: topicFilterSchema,
    url: z.string().openapi({ format: 'uri', example: 'http://192.168.1.10:8123/api/webhook/door' }),
    secret: z.string().optional().openapi({ description: '`whsec_<base64>` of 24-64 bytes; generated when absent' }),
    headers: headersSchema().optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('WebhookCreate')

const patchBody = createBody.partial().extend({ headers: headersSchema().optional() }).openapi('WebhookPatch')

const deliverySchema = z
  .object({
    messageId: z.string(),
    topic: z.string(),
    attempt: z.number().int(),
    at: z.string(),
    durationMs: z.number(),
    status: z.number().int().optional().openapi({ description: 'HTTP status, when the receiver answered' }),
    error: z.string().optional().openapi({ description: 'Network error, timeout or refusal, when it did not' }),
    outcome: z.enum(['delivered', 'retry', 'dead', 'gone', 'test']),
  })
  .openapi('WebhookDelivery')

const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'wh_k3v9x0a1b2c3' }) })

const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ tags: ['webhooks'], security: bearerSecurity, ...r })

const createRouteDef = route({
  method: 'post',
  path: '/v1/webhooks',
  summary: 'Register a webhook',
  description: 'Every message matching the filter is POSTed to the URL, signed (Standard Webhooks), in order. The secret is in this answer only.',
  request: { body: { required: true, content: { 'application/json': { schema: createBody } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: webhookSchema.extend({ secret: z.string() }) } } },
    ...problems(400, 401, 403, 501),
  },
})
const listRoute = route({
  method: 'get',
  path: '/v1/webhooks',
  summary: 'List the webhooks this token may see',
  responses: {
    200: { description: 'Webhooks', content: { 'application/json': { schema: z.object({ webhooks: z.array(webhookSchema) }) } } },
    ...problems(401, 501),
  },
})
const getRoute = route({
  method: 'get',
  path: '/v1/webhooks/{id}',
  summary: 'One webhook',
  request: { params: idParam },
  responses: { 200: { description: 'The webhook', content: { 'application/json': { schema: webhookSchema } } }, ...problems(401, 404, 501) },
})
const patchRoute = route({
  method: 'patch',
  path: '/v1/webhooks/{id}',
  summary: 'Change a webhook',
  description:
    'Only the fields given change. `enabled: true` re-enables a webhook disabled by a 410. A new `url` drops the stored `headers` and ' +
    '`secret` unless they are given again: a generated secret is in this answer only. Webhooks from the config file take only `enabled` and `secret`.',
  request: { params: idParam, body: { required: true, content: { 'application/json': { schema: patchBody } } } },
  responses: {
    200: { description: 'The changed webhook', content: { 'application/json': { schema: webhookSchema.extend({ secret: z.string().optional() }) } } },
    ...problems(400, 401, 403, 404, 409, 501),
  },
})
const deleteRoute = route({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  summary: 'Delete a webhook and its undelivered messages',
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...problems(401, 404, 409, 501) },
})
const deliveriesRoute = route({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  summary: 'Delivery attempts, newest first',
  request: {
    params: idParam,
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(100)
        .openapi({ param: { name: 'limit', in: 'query' } }),
      outcome: z
        .enum(['delivered', 'retry', 'dead', 'gone', 'test'])
        .optional()
        .openapi({ param: { name: 'outcome', in: 'query' }, description: '`dead` lists the messages that ran out of attempts' }),
    }),
  },
  responses: {
    200: { description: 'Attempts', content: { 'application/json': { schema: z.object({ deliveries: z.array(deliverySchema) }) } } },
    ...problems(400, 401, 404, 501),
  },
})
const testRoute = route({
  method: 'post',
  path: '/v1/webhooks/{id}/test',
  summary: 'Send a test message now',
  description: 'Topic `$postbridge/webhooks/test`, outside the queue; the answer says how the receiver responded.',
  request: { params: idParam },
  responses: {
    200: {
      description: 'The attempt',
      content: {
        'application/json': {
          schema: z.object({ ok: z.boolean(), status: z.number().int().optional(), error: z.string().optional(), durationMs: z.number() }),
        },
      },
    },
    ...problems(401, 404, 501),
  },
})
const replayRoute = route({
  method: 'post',
  path: '/v1/webhooks/{id}/replay',
  summary: 'Send dead messages again',
  description: 'Dead messages get a fresh set of attempts and go first; messages waiting for a retry are tried now.',
  request: { params: idParam },
  responses: {
    200: {
      description: 'How many dead messages were re-queued',
      content: { 'application/json': { schema: z.object({ requeued: z.number().int() }) } },
    },
    ...problems(401, 404, 501),
  },
})

function serviceOf(c: AppContext): WebhookService {
  const service = c.get('deps').webhooks
  if (!service) throw errNotAvailable.with('webhooks are not enabled here')
  return service
}

/** A webhook belongs to the token that created it; admins manage every one (and those from the config file). */
function mayManage(c: AppContext, hook: WebhookView): boolean {
  const token = c.get('token')
  return token.scope.admin || (hook.owner === token.id && canReadFilter(token.scope, hook.filter))
}

function requireRead(c: AppContext, topicFilter: string): void {
  if (!canReadFilter(c.get('token').scope, topicFilter)) throw errForbidden.with(`no read scope for "${topicFilter}"`)
}

/** Another token's webhook is answered as absent (404, never 403): its existence is not this token's business. */
async function findVisible(c: AppContext, service: WebhookService, id: string): Promise<WebhookView> {
  const hook = await service.get(id)
  if (!hook || !mayManage(c, hook)) throw errNotFound.with(`no webhook "${id}"`)
  return hook
}

const iso = (ms: number) => new Date(ms).toISOString()

function toJson({ owner: _owner, ...w }: WebhookView) {
  return { ...w, createdAt: iso(w.createdAt), updatedAt: iso(w.updatedAt) }
}

export function webhookRoutes() {
  const app = createRouter()

  app.openapi(createRouteDef, async (c) => {
    const service = serviceOf(c)
    const body = c.req.valid('json')
    requireRead(c, body.filter)
    const { webhook, secret } = await service.create(body, c.get('token').id)
    c.get('deps').log.info({ webhookId: webhook.id, filter: webhook.filter, by: c.get('token').id }, 'webhook created')
    return c.json({ ...toJson(webhook), secret }, 201, { location: `/v1/webhooks/${webhook.id}` })
  })

  app.openapi(listRoute, async (c) => {
    const hooks = await serviceOf(c).list()
    return c.json({ webhooks: hooks.filter((h) => mayManage(c, h)).map(toJson) }, 200)
  })

  app.openapi(getRoute, async (c) => {
    return c.json(toJson(await findVisible(c, serviceOf(c), c.req.valid('param').id)), 200)
  })

  app.openapi(patchRoute, async (c) => {
    const service = serviceOf(c)
    const { id } = c.req.valid('param')
    await findVisible(c, service, id)
    const patch = c.req.valid('json')
    if (patch.filter !== undefined) requireRead(c, patch.filter)
    const { webhook, secret } = await service.update(id, patch)
    c.get('deps').log.info({ webhookId: id, fields: Object.keys(patch), by: c.get('token').id }, 'webhook changed')
    return c.json({ ...toJson(webhook), ...(secret ? { secret } : {}) }, 200)
  })

  app.openapi(deleteRoute, async (c) => {
    const service = serviceOf(c)
    const { id } = c.req.valid('param')
    await findVisible(c, service, id)
    if (!(await service.remove(id))) throw errNotFound.with(`no webhook "${id}"`)
    c.get('deps').log.info({ webhookId: id, by: c.get('token').id }, 'webhook deleted')
    return c.body(null, 204)
  })

  app.openapi(deliveriesRoute, async (c) => {
    const service = serviceOf(c)
    const { id } = c.req.valid('param')
    await findVisible(c, service, id)
    const { limit, outcome } = c.req.valid('query')
    const attempts = await service.deliveries(id, { limit, ...(outcome ? { outcome } : {}) })
    return c.json(
      {
        deliveries: attempts.map((a) => ({
          messageId: a.messageId,
          topic: a.topicName,
          attempt: a.attempt,
          at: iso(a.at),
          durationMs: a.durationMs,
          ...(a.status !== undefined ? { status: a.status } : {}),
          ...(a.error !== undefined ? { error: a.error } : {}),
          outcome: a.outcome,
        })),
      },
      200,
    )
  })

  app.openapi(testRoute, async (c) => {
    const service = serviceOf(c)
    const { id } = c.req.valid('param')
    await findVisible(c, service, id)
    return c.json(await service.test(id), 200)
  })

  app.openapi(replayRoute, async (c) => {
    const service = serviceOf(c)
    const { id } = c.req.valid('param')
    await findVisible(c, service, id)
    const requeued = await service.replay(id)
    c.get('deps').log.info({ webhookId: id, requeued, by: c.get('token').id }, 'webhook replay')
    return c.json({ requeued }, 200)
  })

  return app
}
