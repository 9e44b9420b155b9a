/** GET /v1/backup: admins download a consistent snapshot of the node, for `postbridge restore`. */
import { createRoute, z } from '@hono/zod-openapi'
import { errNotAvailable, errForbidden } from '../errors.js'
import { bearerSecurity, createRouter, problems } from './env.js'

const backupRoute = createRoute({
  method: 'get',
  path: '/v1/backup',
  tags: ['backup'],
  summary: 'Download a backup (admin)',
  description:
    'A consistent snapshot taken while the node runs: tokens, MQTT users, webhooks and their outbox, sensors and ' +
    'notifiers, and the broker state (retained messages, sessions and their queued messages). `postbridge restore` ' +
    'puts it back into an empty data directory. The file holds secrets: keep it as safe as the data directory.',
  security: bearerSecurity,
  request: {
    query: z.strictObject({
      omitCaller: z
        .enum(['true', 'false'])
        .optional()
        .openapi({ description: 'Leave the token making this request out of the backup (for a one-off token made for the download).' }),
    }),
  },
  responses: {
    200: { description: 'The backup file', content: { 'application/vnd.sqlite3': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...problems(400, 401, 403, 501),
  },
})

export function backupRoutes() {
  const app = createRouter()
  app.openapi(backupRoute, async (c) => {
    if (!c.get('token').scope.admin) throw errForbidden.with('admin scope required')
    const source = c.get('deps').backup
    if (!source) throw errNotAvailable.with('backups are taken on the home node')
    const { omitCaller } = c.req.valid('query')
    const body = await source.create(omitCaller === 'true' ? { omitTokenIds: [c.get('token').id] } : {})
    const stamp = new Date(c.get('deps').now()).toISOString().replace(/[:.]/g, '-')
    c.get('deps').log.info({ by: c.get('token').id }, 'backup downloaded')
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': source.contentType,
        'content-disposition': `attachment; filename="postbridge-${stamp}.backup"`,
        'cache-control': 'no-store',
      },
    }) as never
  })
  return app
}
