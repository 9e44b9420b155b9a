/** GET /v1/whoami: the presented token's own id, name and scope, so a client (the dashboard) can offer only what it may do. */
import { createRoute, z } from '@hono/zod-openapi'
import { bearerSecurity, createRouter, problems } from './env.js'

const whoamiRoute = createRoute({
  method: 'get',
  path: '/v1/whoami',
  tags: ['tokens'],
  summary: 'The token making the request: id, name and scope',
  security: bearerSecurity,
  responses: {
    200: {
      description: 'The token, without its secret',
      content: {
        'application/json': {
          schema: z
            .object({
              id: z.string(),
              name: z.string(),
              scope: z.object({ publish: z.array(z.string()), read: z.array(z.string()), admin: z.boolean() }),
            })
            .openapi('Whoami'),
        },
      },
    },
    ...problems(401),
  },
})

export function whoamiRoutes() {
  const app = createRouter()
  app.openapi(whoamiRoute, (c) => {
    const { id, name, scope } = c.get('token')
    return c.json({ id, name, scope: { publish: scope.publish, read: scope.read, admin: scope.admin } }, 200)
  })
  return app
}
