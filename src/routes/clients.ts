/** /v1/clients: the MQTT clients connected to this node's broker (admin), and disconnecting one. */
import { createRoute, z } from '@hono/zod-openapi'
import { errNotAvailable, errNotFound } from '../errors.js'
import type { ClientDirectory } from '../ports/clients.js'
import type { AppContext } from './env.js'
import { bearerSecurity, createRouter, problems } from './env.js'
import { requireAdmin } from './tokens.js'

const clientSchema = z
  .object({
    clientId: z.string(),
    username: z.string().optional().openapi({ description: 'Absent for anonymous clients' }),
    address: z.string().optional().openapi({ example: '192.168.1.23:51234' }),
    protocolVersion: z.number().int().optional().openapi({ description: '3 (MQTT 3.1), 4 (3.1.1) or 5' }),
    transport: z.enum(['tcp', 'websocket']).optional(),
    since: z.string().optional().openapi({ description: 'When the client connected' }),
    keepAlive: z.number().int().optional().openapi({ description: 'Keep alive in seconds; 0 means none' }),
    subscriptions: z.number().int(),
  })
  .openapi('MqttClient')

const clientIdParam = z.object({ clientId: z.string().openapi({ param: { name: 'clientId', in: 'path' }, example: 'door-hall' }) })

const listRoute = createRoute({
  method: 'get',
  path: '/v1/clients',
  tags: ['clients'],
  summary: 'Connected MQTT clients (admin)',
  security: bearerSecurity,
  responses: {
    200: { description: 'Clients, by client id', content: { 'application/json': { schema: z.object({ clients: z.array(clientSchema) }) } } },
    ...problems(401, 403, 501),
  },
})

const disconnectRoute = createRoute({
  method: 'delete',
  path: '/v1/clients/{clientId}',
  tags: ['clients'],
  summary: 'Disconnect an MQTT client (admin)',
  description:
    'Closes the connection; an MQTT 5 client is sent DISCONNECT 0x98 (administrative action) first. Its Will is published. The client may connect again.',
  security: bearerSecurity,
  request: { params: clientIdParam },
  responses: { 204: { description: 'Disconnected' }, ...problems(401, 403, 404, 501) },
})

function directoryOf(c: AppContext): ClientDirectory {
  const clients = c.get('deps').clients
  if (!clients) throw errNotAvailable.with('the client list is kept by the embedded broker only')
  return clients
}

const iso = (ms: number) => new Date(ms).toISOString()

export function clientRoutes() {
  const app = createRouter()
  app.openapi(listRoute, (c) => {
    requireAdmin(c)
    const clients = directoryOf(c)
      .list()
      .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0))
      .map(({ connectedAt, keepAliveSeconds, ...rest }) => ({
        ...rest,
        ...(connectedAt !== undefined ? { since: iso(connectedAt) } : {}),
        ...(keepAliveSeconds !== undefined ? { keepAlive: keepAliveSeconds } : {}),
      }))
    return c.json({ clients }, 200)
  })
  app.openapi(disconnectRoute, async (c) => {
    requireAdmin(c)
    const { clientId } = c.req.valid('param')
    if (!(await directoryOf(c).disconnect(clientId))) throw errNotFound.with(`no connected client "${clientId}"`)
    c.get('deps').log.info({ clientId, by: c.get('token').id }, 'mqtt client disconnected by admin')
    return c.body(null, 204)
  })
  return app
}
