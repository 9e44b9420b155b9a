/** /v1/mqtt-users (admin): list, create and remove the users MQTT devices connect as. Passwords are stored as PBKDF2 hashes only. */
import { createRoute, z } from '@hono/zod-openapi'
import { hashPassword } from '../auth/password.js'
import { topicFilterSchema } from '../config.js'
import { errConflict, errNotAvailable, errNotFound, errUserDeclared } from '../errors.js'
import type { MqttUserAdmin } from '../ports/mqtt-users.js'
import { randomBytes, toBase64Url } from '../util/bytes.js'
import type { AppContext } from './env.js'
import { bearerSecurity, createRouter, problems } from './env.js'
import { requireAdmin } from './tokens.js'

/** No wildcards, '/' or spaces: the name is expanded into ACL patterns (%u), where those would widen them. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/

const userSchema = z
  .object({
    username: z.string(),
    publish: z.array(z.string()).openapi({ description: 'Topic filters the user may publish to; %u and %c expand to username and client id' }),
    subscribe: z.array(z.string()),
    source: z.enum(['config', 'api']),
  })
  .openapi('MqttUser')

const createBody = z
  .strictObject({
    username: z.string().regex(USERNAME, 'letters, digits, ".", "_", "@" and "-" only, at most 64'),
    password: z.string().min(8).max(256).optional().openapi({ description: 'Generated (32 characters) when absent' }),
    publish: z.array(topicFilterSchema).optional().openapi({ description: 'Default `devices/<username>/#`' }),
    subscribe: z.array(topicFilterSchema).optional().openapi({ description: 'Default `devices/<username>/#`' }),
  })
  .openapi('MqttUserCreate')

const usernameParam = z.object({ username: z.string().openapi({ param: { name: 'username', in: 'path' }, example: 'door-hall' }) })
const route = <T extends Parameters<typeof createRoute>[0]>(r: T) => createRoute({ tags: ['mqtt-users'], security: bearerSecurity, ...r })

const listRoute = route({
  method: 'get',
  path: '/v1/mqtt-users',
  summary: 'MQTT users (admin)',
  responses: {
    200: { description: 'Users, without password hashes', content: { 'application/json': { schema: z.object({ users: z.array(userSchema) }) } } },
    ...problems(401, 403, 501),
  },
})
const createUserRoute = route({
  method: 'post',
  path: '/v1/mqtt-users',
  summary: 'Add an MQTT user (admin)',
  description: 'The password is in this answer once and never again: only its hash is stored.',
  request: { body: { required: true, content: { 'application/json': { schema: createBody } } } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: userSchema.extend({ password: z.string() }) } } },
    ...problems(400, 401, 403, 409, 501),
  },
})
const removeRoute = route({
  method: 'delete',
  path: '/v1/mqtt-users/{username}',
  summary: 'Remove an MQTT user (admin)',
  description:
    'New connections with this username are refused; connected clients stay until they disconnect (DELETE /v1/clients/{clientId} ends one).',
  request: { params: usernameParam },
  responses: { 204: { description: 'Removed' }, ...problems(401, 403, 404, 409, 501) },
})

function usersOf(c: AppContext): MqttUserAdmin {
  const users = c.get('deps').mqttUsers
  if (!users) throw errNotAvailable.with('MQTT users are kept by the embedded broker only')
  return users
}

export function mqttUserRoutes() {
  const app = createRouter()
  app.openapi(listRoute, async (c) => {
    requireAdmin(c)
    return c.json({ users: await usersOf(c).list() }, 200)
  })
  app.openapi(createUserRoute, async (c) => {
    requireAdmin(c)
    const users = usersOf(c)
    const body = c.req.valid('json')
    const own = [`devices/${body.username}/#`]
    const password = body.password ?? toBase64Url(randomBytes(24))
    const user = { username: body.username, publish: body.publish ?? own, subscribe: body.subscribe ?? own }
    if (!(await users.create({ ...user, passwordHash: await hashPassword(password) }))) throw errConflict.with(`user "${body.username}" exists`)
    c.get('deps').log.info({ username: user.username, by: c.get('token').id }, 'mqtt user created')
    return c.json({ ...user, source: 'api' as const, password }, 201)
  })
  app.openapi(removeRoute, async (c) => {
    requireAdmin(c)
    const { username } = c.req.valid('param')
    const outcome = await usersOf(c).remove(username)
    if (outcome === 'absent') throw errNotFound.with(`no user "${username}"`)
    if (outcome === 'declared') throw errUserDeclared.with(username)
    c.get('deps').log.info({ username, by: c.get('token').id }, 'mqtt user removed')
    return c.body(null, 204)
  })
  return app
}
