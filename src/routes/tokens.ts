/** /v1/tokens: admins create, list and revoke bearer tokens. */
import { createRoute, z } from '@hono/zod-openapi'
import { issueToken } from '../auth/token.js'
import { errForbidden, errNotFound } from '../errors.js'
import { topicFilterSchema } from '../config.js'
import type { AppContext } from './env.js'
import { bearerSecurity, createRouter, problems } from './env.js'

const scopeSchema = z.object({
  publish: z.array(z.string()),
  read: z.array(z.string()),
  admin: z.boolean(),
})

const tokenInfoSchema = z
  .object({ id: z.string(), name: z.string(), scope: scopeSchema, createdAt: z.string(), lastUsedAt: z.string().optional() })
  .openapi('TokenInfo')

const createBody = z
  .strictObject({
    name: z.string().min(1).max(200),
    publish: z.array(topicFilterSchema).default([]),
    read: z.array(topicFilterSchema).default([]),
    admin: z.boolean().default(false),
  })
  .openapi('TokenCreate')

const createTokenRoute = createRoute({
  method: 'post',
  path: '/v1/tokens',
  tags: ['tokens'],
  summary: 'Create a token (admin)',
  description: 'The token is in the answer once and never again: only its hash is stored.',
  security: bearerSecurity,
  request: { body: { required: true, content: { 'application/json': { schema: createBody } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: tokenInfoSchema.extend({ token: z.string() }) } } },
    ...problems(400, 401, 403),
  },
})

const listTokensRoute = createRoute({
  method: 'get',
  path: '/v1/tokens',
  tags: ['tokens'],
  summary: 'List tokens (admin)',
  security: bearerSecurity,
  responses: {
    200: { description: 'Tokens, without secrets', content: { 'application/json': { schema: z.object({ tokens: z.array(tokenInfoSchema) }) } } },
    ...problems(401, 403),
  },
})

const revokeTokenRoute = createRoute({
  method: 'delete',
  path: '/v1/tokens/{id}',
  tags: ['tokens'],
  summary: 'Revoke a token (admin)',
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 204: { description: 'Revoked' }, ...problems(401, 403, 404) },
})

export function requireAdmin(c: AppContext): void {
  if (!c.get('token').scope.admin) throw errForbidden.with('admin scope required')
}

const iso = (ms: number) => new Date(ms).toISOString()

export function tokenRoutes() {
  const app = createRouter()
  app.openapi(createTokenRoute, async (c) => {
    requireAdmin(c)
    const body = c.req.valid('json')
    const deps = c.get('deps')
    const { token, record } = await issueToken(body.name, { publish: body.publish, read: body.read, admin: body.admin }, deps.now())
    await deps.tokens.create(record)
    deps.log.info({ tokenId: record.id, name: record.name, by: c.get('token').id }, 'token created')
    return c.json({ id: record.id, name: record.name, scope: record.scope, createdAt: iso(record.createdAt), token }, 201)
  })
  app.openapi(listTokensRoute, async (c) => {
    requireAdmin(c)
    const tokens = await c.get('deps').tokens.list()
    return c.json(
      {
        tokens: tokens.map((t) => ({
          id: t.id,
          name: t.name,
          scope: t.scope,
          createdAt: iso(t.createdAt),
          ...(t.lastUsedAt ? { lastUsedAt: iso(t.lastUsedAt) } : {}),
        })),
      },
      200,
    )
  })
  app.openapi(revokeTokenRoute, async (c) => {
    requireAdmin(c)
    const { id } = c.req.valid('param')
    if (!(await c.get('deps').tokens.revoke(id))) throw errNotFound.with(`no token "${id}"`)
    // At once: its streams and request waits close and its webhooks stop before the 204.
    await c.get('deps').tokenWatch?.check()
    c.get('deps').log.info({ tokenId: id, by: c.get('token').id }, 'token revoked')
    return c.body(null, 204)
  })
  return app
}
