/** GET /v1/health (public liveness; details with any valid token) and GET /metrics (Prometheus text, any valid token). */
import { createRoute, z } from '@hono/zod-openapi'
import type { MetricLine } from '../ports/metrics.js'
import { bearerSecurity, createRouter, problems } from './env.js'

const healthRoute = createRoute({
  method: 'get',
  path: '/v1/health',
  tags: ['health'],
  summary: 'Liveness and the state of the broker (and link)',
  description:
    'Without a token the answer says only `ok` or `degraded`; with any valid token it also holds the state of the broker, ' +
    'the link and the stores. A token that is not valid gets 401.',
  security: [{}, { bearerAuth: [] }],
  responses: {
    200: {
      description: 'Up',
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.enum(['ok', 'degraded']),
              broker: z.object({ kind: z.string(), connected: z.boolean() }).passthrough().optional().openapi({ description: 'With a token only' }),
            })
            .passthrough(),
        },
      },
    },
    503: {
      description: 'The broker is not connected',
      content: {
        'application/json': {
          schema: z
            .object({ status: z.enum(['degraded', 'down']) })
            .passthrough()
            .openapi({ description: '`degraded` without a token' }),
        },
      },
    },
    ...problems(401),
  },
})

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics',
  security: bearerSecurity,
  responses: { 200: { description: 'Text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } }, ...problems(401) },
})

export function healthRoutes() {
  const app = createRouter()
  app.openapi(healthRoute, async (c) => {
    const deps = c.get('deps')
    const broker = deps.bus.status()
    const extra = deps.health ? await deps.health() : {}
    const body = { status: broker.connected ? 'ok' : 'down', broker, ...extra }
    const code = broker.connected ? 200 : 503
    // Counters, addresses and link state tell a stranger what runs here: they need a token.
    if (!c.get('token')) return c.json({ status: body.status === 'ok' ? 'ok' : 'degraded' } as never, code)
    return c.json(body as never, code)
  })
  return app
}

export function metricsRoutes() {
  const app = createRouter()
  app.openapi(metricsRoute, (c) => {
    const deps = c.get('deps')
    const s = deps.bus.status()
    const lines: MetricLine[] = [
      { name: 'postbridge_broker_connected', help: 'Whether the MQTT side is up (1) or not (0).', type: 'gauge', value: s.connected ? 1 : 0 },
    ]
    if (s.clients !== undefined)
      lines.push({ name: 'postbridge_mqtt_clients_connected', help: 'MQTT clients connected now.', type: 'gauge', value: s.clients })
    if (s.messagesIn !== undefined)
      lines.push({
        name: 'postbridge_mqtt_messages_received_total',
        help: 'PUBLISH packets received from clients.',
        type: 'counter',
        value: s.messagesIn,
      })
    if (s.messagesOut !== undefined)
      lines.push({
        name: 'postbridge_mqtt_messages_sent_total',
        help: 'PUBLISH packets delivered to clients.',
        type: 'counter',
        value: s.messagesOut,
      })
    lines.push(
      { name: 'postbridge_sse_streams', help: 'Open GET /v1/subscribe streams.', type: 'gauge', value: c.get('slots').streams.size },
      {
        name: 'postbridge_requests_waiting',
        help: 'POST /v1/request calls waiting for a reply.',
        type: 'gauge',
        value: c.get('slots').requests.size,
      },
    )
    if (deps.metricLines) lines.push(...deps.metricLines())
    return c.text(deps.metrics.render(lines), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  return app
}
