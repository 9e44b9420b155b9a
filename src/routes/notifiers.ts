/** /v1/notifiers: phone alert channels (ntfy, Gotify, Pushover, Telegram, webhook). Admin only: they hold secrets. */
import { createRoute, z } from '@hono/zod-openapi'
import { errInvalidRequest } from '../errors.js'
import { notifierSchema } from '../notify/config.js'
import { bearerSecurity, createRouter, problems } from './env.js'
import { notifyService } from './sensors.js'
import { requireAdmin } from './tokens.js'

const notifierViewSchema = z
  .object({
    id: z.string(),
    type: z.enum(['ntfy', 'gotify', 'pushover', 'telegram', 'webhook']),
    source: z.enum(['config', 'api']),
  })
  .catchall(z.unknown())
  .openapi('Notifier', { description: 'The notifier as configured; plain secrets show as "********", `env:NAME` references as written' })

const attemptSchema = z
  .object({
    ok: z.boolean(),
    status: z.number().int().optional().openapi({ description: "The provider's HTTP status, when it answered" }),
    error: z.string().optional().openapi({ description: "The provider's explanation or the network error" }),
    retryable: z.boolean(),
  })
  .openapi('NotifierTestResult')

const deliverySchema = z
  .object({
    id: z.string(),
    notifierId: z.string(),
    alertId: z.string(),
    title: z.string(),
    eventId: z.string().optional(),
    attempt: z.number().int(),
    at: z.string(),
    outcome: z.enum(['sent', 'retrying', 'failed', 'held', 'test']).openapi({ description: '"held": over the rate limit, summarised later' }),
    ok: z.boolean(),
    status: z.number().int().optional(),
    error: z.string().optional(),
    retryInMs: z.number().optional(),
  })
  .openapi('NotifierDelivery')

const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'phone' }) })
const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ tags: ['notifiers'], security: bearerSecurity, ...r })
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })
// The config file's schema, used as is (no .openapi(): it is built before zod-openapi extends zod, so it has none).
const body = {
  body: {
    required: true,
    description: 'Secret fields (token, appToken, userKey, botToken, secret) take the value or `env:NAME`.',
    content: {
      'application/json': { schema: notifierSchema, example: { id: 'phone', type: 'ntfy', server: 'https://ntfy.sh', topic: 'workshop-7f3k2' } },
    },
  },
}

const listRoute = route({
  method: 'get',
  path: '/v1/notifiers',
  summary: 'Alert channels (admin)',
  responses: { 200: json(z.object({ notifiers: z.array(notifierViewSchema) }), 'Notifiers'), ...problems(401, 403, 501) },
})
const createNotifierRoute = route({
  method: 'post',
  path: '/v1/notifiers',
  summary: 'Add an alert channel (admin)',
  request: body,
  responses: { 201: json(notifierViewSchema, 'Created'), ...problems(400, 401, 403, 409, 501) },
})
const getRoute = route({
  method: 'get',
  path: '/v1/notifiers/{id}',
  summary: 'One alert channel (admin)',
  request: { params: idParam },
  responses: { 200: json(notifierViewSchema, 'The notifier'), ...problems(401, 403, 404, 501) },
})
const replaceRoute = route({
  method: 'put',
  path: '/v1/notifiers/{id}',
  summary: 'Replace an alert channel (admin)',
  description: 'Send the secrets again: the API never shows them. Notifiers from the config file are changed there (409).',
  request: { params: idParam, ...body },
  responses: { 200: json(notifierViewSchema, 'Replaced'), ...problems(400, 401, 403, 404, 409, 501) },
})
const deleteRoute = route({
  method: 'delete',
  path: '/v1/notifiers/{id}',
  summary: 'Remove an alert channel (admin)',
  description: '409 while a sensor still names it.',
  request: { params: idParam },
  responses: { 204: { description: 'Removed' }, ...problems(401, 403, 404, 409, 501) },
})
const testRoute = route({
  method: 'post',
  path: '/v1/notifiers/{id}/test',
  summary: 'Send a test alert now (admin)',
  description: 'One attempt, no retry, outside the rate limit; the answer says what the provider replied.',
  request: { params: idParam },
  responses: { 200: json(attemptSchema, 'What happened'), ...problems(401, 403, 404, 501) },
})
const deliveriesRoute = route({
  method: 'get',
  path: '/v1/notifiers/{id}/deliveries',
  summary: 'Delivery attempts of a channel, newest first (admin)',
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
      before: z
        .string()
        .optional()
        .openapi({ param: { name: 'before', in: 'query' }, description: 'ISO time: only older attempts' }),
    }),
  },
  responses: { 200: json(z.object({ deliveries: z.array(deliverySchema) }), 'Attempts'), ...problems(400, 401, 403, 404, 501) },
})

export function notifierRoutes() {
  const app = createRouter()
  app.openapi(listRoute, async (c) => {
    requireAdmin(c)
    return c.json({ notifiers: await notifyService(c).listNotifiers() }, 200)
  })
  app.openapi(createNotifierRoute, async (c) => {
    requireAdmin(c)
    const view = await notifyService(c).createNotifier(c.req.valid('json'))
    c.get('deps').log.info({ notifierId: view.id, type: view.type, by: c.get('token').id }, 'notifier created')
    return c.json(view, 201)
  })
  app.openapi(getRoute, async (c) => {
    requireAdmin(c)
    return c.json(await notifyService(c).getNotifier(c.req.valid('param').id), 200)
  })
  app.openapi(replaceRoute, async (c) => {
    requireAdmin(c)
    const view = await notifyService(c).replaceNotifier(c.req.valid('param').id, c.req.valid('json'))
    c.get('deps').log.info({ notifierId: view.id, by: c.get('token').id }, 'notifier replaced')
    return c.json(view, 200)
  })
  app.openapi(deleteRoute, async (c) => {
    requireAdmin(c)
    const { id } = c.req.valid('param')
    await notifyService(c).deleteNotifier(id)
    c.get('deps').log.info({ notifierId: id, by: c.get('token').id }, 'notifier removed')
    return c.body(null, 204)
  })
  app.openapi(testRoute, async (c) => {
    requireAdmin(c)
    const { ok, status, error, retryable } = await notifyService(c).testNotifier(c.req.valid('param').id)
    return c.json({ ok, retryable, ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}) }, 200)
  })
  app.openapi(deliveriesRoute, async (c) => {
    requireAdmin(c)
    const { limit, before } = c.req.valid('query')
    const beforeMs = before === undefined ? undefined : Date.parse(before)
    if (beforeMs !== undefined && Number.isNaN(beforeMs)) throw errInvalidRequest.with('before: not an ISO time')
    const deliveries = await notifyService(c).deliveries(c.req.valid('param').id, { limit, ...(beforeMs !== undefined ? { before: beforeMs } : {}) })
    return c.json({ deliveries }, 200)
  })
  return app
}
