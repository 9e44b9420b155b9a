/** GET /v1/health (public liveness) and GET /metrics (Prometheus text, any valid token). */
import { createRoute, z } from '@hono/zod-openapi'
import type { MetricLine } from '../ports.js'
import { bearerSecurity, createRouter, problems } from './env.js'

const healthRoute = createRoute({
  method: 'get',
  path: '/v1/health',
  tags: ['health'],
  summary: 'Liveness and the state of the broker (and link)',
  // Public on purpose: a monitor checks liveness without a token.
  security: [],
  responses: {
    200: {
      description: 'Up',
      content: {
        'application/json': {
          schema: z.object({ status: z.enum(['ok', 'degraded']), broker: z.object({ kind: z.string(), connected: z.boolean() }).passthrough() }).passthrough(),
        },
      },
    },
    503: { description: 'The broker is not connected', content: { 'application/json': { schema: z.object({ status: z.literal('down') }).passthrough() } } },
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
    const deps = c.var.deps
    const broker = deps.bus.status()
    const extra = deps.health ? await deps.health() : {}
    const body = { status: broker.connected ? 'ok' : 'down', broker, ...extra }
    return c.json(body as never, broker.connected ? 200 : 503)
  })
  return app
}

export function metricsRoutes() {
  const app = createRouter()
  app.openapi(metricsRoute, (c) => {
    const deps = c.var.deps
    const s = deps.bus.status()
    const lines: MetricLine[] = [
      { name: 'postbridge_broker_connected', help: 'Whether the MQTT side is up (1) or not (0).', type: 'gauge', value: s.connected ? 1 : 0 },
    ]
    if (s.clients !== undefined) lines.push({ name: 'postbridge_mqtt_clients_connected', help: 'MQTT clients connected now.', type: 'gauge', value: s.clients })
    if (s.messagesIn !== undefined) lines.push({ name: 'postbridge_mqtt_messages_received_total', help: 'PUBLISH packets received from clients.', type: 'counter', value: s.messagesIn })
    if (s.messagesOut !== undefined) lines.push({ name: 'postbridge_mqtt_messages_sent_total', help: 'PUBLISH packets delivered to clients.', type: 'counter', value: s.messagesOut })
    if (deps.metricLines) lines.push(...deps.metricLines())
    return c.text(deps.metrics.render(lines), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  return app
}
