/**
 * /v1/sensors: door sensors, their state and their events. Writes need admin; reading a sensor needs admin or a
 * read scope that matches the sensor's topic (the same right that lets a token read the messages themselves).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { canReadTopic } from '../auth/token.js'
import { errForbidden, errInvalidRequest, errNotAvailable } from '../errors.js'
import { EVENT_KINDS } from '../notify/model.js'
import { sensorSchema } from '../notify/config.js'
import type { NotifyService, SensorView } from '../notify/ports.js'
import type { AppContext } from './env.js'
import { bearerSecurity, createRouter, problems } from './env.js'
import { requireAdmin } from './tokens.js'

const batterySchema = z.object({ value: z.number(), unit: z.enum(['V', '%']) })

const sensorViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    topic: z.string(),
    kind: z.literal('door'),
    heartbeat: z.string().optional().openapi({ example: '24h' }),
    batteryLow: z.union([z.number(), z.string()]).optional().openapi({ description: 'Volts, or a percentage such as "20%"' }),
    notify: z.array(z.string()),
    quietHours: z.object({ from: z.string(), to: z.string() }).optional(),
    payload: z.object({
      stateField: z.string(),
      batteryField: z.string(),
      batteryPctField: z.string(),
      openValues: z.array(z.string()),
      closedValues: z.array(z.string()),
      willValues: z.array(z.string()),
    }),
    debounce: z.string(),
    willTopic: z.string().optional(),
    alertOn: z.array(z.enum(EVENT_KINDS)).optional(),
    click: z.string().optional(),
    actions: z
      .array(
        z.object({
          label: z.string(),
          topic: z.string().optional(),
          payload: z.string(),
          qos: z.number().int(),
          retain: z.boolean(),
          on: z.array(z.enum(EVENT_KINDS)),
        }),
      )
      .optional()
      .openapi({ description: 'Buttons on the alerts; each press publishes once' }),
    source: z.enum(['config', 'api']),
    state: z.enum(['open', 'closed']).nullable(),
    battery: batterySchema.extend({ at: z.string() }).nullable(),
    batteryDaysLeft: z
      .number()
      .nullable()
      .openapi({ description: 'Days until the battery reaches its low threshold, from the trend; null until it can be estimated' }),
    lastSeen: z.string().nullable(),
    online: z.boolean().nullable().openapi({ description: 'Heard from within 1.5 x heartbeat; null without a heartbeat' }),
    silent: z.boolean(),
    lastWill: z.string().nullable(),
  })
  .openapi('Sensor')

const eventSchema = z
  .object({
    id: z.string(),
    kind: z.enum(EVENT_KINDS),
    at: z.string(),
    door: z.enum(['open', 'closed']).optional(),
    battery: batterySchema.optional(),
    details: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
  })
  .openapi('SensorEvent')

// The config file's schema, used as is (no .openapi(): it is built before zod-openapi extends zod, so it has none).
const sensorBody = {
  required: true,
  content: {
    'application/json': {
      schema: sensorSchema,
      example: {
        id: 'workshop',
        name: 'Workshop door',
        topic: 'home/workshop/door',
        kind: 'door',
        heartbeat: '24h',
        batteryLow: 3.3,
        notify: ['phone'],
      },
    },
  },
}

const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'workshop' }) })

const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ tags: ['sensors'], security: bearerSecurity, ...r })
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } })

const listRoute = route({
  method: 'get',
  path: '/v1/sensors',
  summary: 'Door sensors with state, battery, days left, last seen and online',
  description: 'Lists the sensors whose topic the token may read (all of them for admin).',
  responses: { 200: json(z.object({ sensors: z.array(sensorViewSchema) }), 'Sensors'), ...problems(401, 403, 501) },
})
const createSensorRoute = route({
  method: 'post',
  path: '/v1/sensors',
  summary: 'Declare a sensor (admin)',
  request: { body: sensorBody },
  responses: { 201: json(sensorViewSchema, 'Created'), ...problems(400, 401, 403, 409, 501) },
})
const getRoute = route({
  method: 'get',
  path: '/v1/sensors/{id}',
  summary: 'One sensor',
  request: { params: idParam },
  responses: { 200: json(sensorViewSchema, 'The sensor'), ...problems(401, 403, 404, 501) },
})
const replaceRoute = route({
  method: 'put',
  path: '/v1/sensors/{id}',
  summary: 'Replace a sensor (admin)',
  description: 'State and events are kept. Sensors from the config file are changed there (409).',
  request: { params: idParam, body: sensorBody },
  responses: { 200: json(sensorViewSchema, 'Replaced'), ...problems(400, 401, 403, 404, 409, 501) },
})
const deleteRoute = route({
  method: 'delete',
  path: '/v1/sensors/{id}',
  summary: 'Remove a sensor with its state and events (admin)',
  request: { params: idParam },
  responses: { 204: { description: 'Removed' }, ...problems(401, 403, 404, 409, 501) },
})
const eventsRoute = route({
  method: 'get',
  path: '/v1/sensors/{id}/events',
  summary: 'Events of a sensor, newest first',
  description: 'opened, closed, battery_low, silent (the dead-man alarm), back and will, each with its time.',
  request: {
    params: idParam,
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(100)
        .openapi({ param: { name: 'limit', in: 'query' }, example: 100 }),
      before: z
        .string()
        .optional()
        .openapi({ param: { name: 'before', in: 'query' }, description: 'ISO time: only older events, to page back' }),
    }),
  },
  responses: { 200: json(z.object({ events: z.array(eventSchema) }), 'Events'), ...problems(400, 401, 403, 404, 501) },
})

export function notifyService(c: AppContext): NotifyService {
  const service = c.get('deps').notify
  if (!service) throw errNotAvailable.with('door sensors and notifiers are not enabled here')
  return service
}

function requireRead(c: AppContext, sensor: SensorView): SensorView {
  if (!canReadTopic(c.get('token').scope, sensor.topic)) throw errForbidden.with(`no read scope for "${sensor.topic}"`)
  return sensor
}

function parseBefore(before: string | undefined): number | undefined {
  if (before === undefined) return undefined
  const ms = Date.parse(before)
  if (Number.isNaN(ms)) throw errInvalidRequest.with('before: not an ISO time')
  return ms
}

export function sensorRoutes() {
  const app = createRouter()
  app.openapi(listRoute, async (c) => {
    const scope = c.get('token').scope
    if (!scope.admin && scope.read.length === 0) throw errForbidden.with('token has no read scope')
    const sensors = (await notifyService(c).listSensors()).filter((s) => canReadTopic(scope, s.topic))
    return c.json({ sensors }, 200)
  })
  app.openapi(createSensorRoute, async (c) => {
    requireAdmin(c)
    const view = await notifyService(c).createSensor(c.req.valid('json'))
    c.get('deps').log.info({ sensorId: view.id, by: c.get('token').id }, 'sensor created')
    return c.json(view, 201)
  })
  app.openapi(getRoute, async (c) => {
    const service = notifyService(c)
    return c.json(requireRead(c, await service.getSensor(c.req.valid('param').id)), 200)
  })
  app.openapi(replaceRoute, async (c) => {
    requireAdmin(c)
    const view = await notifyService(c).replaceSensor(c.req.valid('param').id, c.req.valid('json'))
    c.get('deps').log.info({ sensorId: view.id, by: c.get('token').id }, 'sensor replaced')
    return c.json(view, 200)
  })
  app.openapi(deleteRoute, async (c) => {
    requireAdmin(c)
    const { id } = c.req.valid('param')
    await notifyService(c).deleteSensor(id)
    c.get('deps').log.info({ sensorId: id, by: c.get('token').id }, 'sensor removed')
    return c.body(null, 204)
  })
  app.openapi(eventsRoute, async (c) => {
    const service = notifyService(c)
    const { id } = c.req.valid('param')
    const { limit, before } = c.req.valid('query')
    requireRead(c, await service.getSensor(id))
    const beforeMs = parseBefore(before)
    const events = await service.sensorEvents(id, { limit, ...(beforeMs !== undefined ? { before: beforeMs } : {}) })
    return c.json({ events }, 200)
  })
  return app
}
