/**
 * /v1/actions/{token}: the buttons of phone alerts. The token is the credential (no bearer token: the phone's
 * notification app calls the URL as it is), good for one publish and until it expires. POST uses it; GET only shows
 * a page with a button that POSTs, for apps that can do no more than open a link (Pushover, Gotify).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { errActionExpired, errActionUsed, errBusUnavailable, errNotAvailable, errNotFound, type ApiError } from '../errors.js'
import type { ActionOutcome } from '../notify/actions.js'
import { createRouter, problems } from './env.js'

const tokenParam = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/)
    .openapi({ param: { name: 'token', in: 'path' }, description: 'The single-use token from the alert' }),
})

const resultSchema = z.object({ ok: z.literal(true), label: z.string(), topic: z.string().optional() }).openapi('ActionResult')

const useActionRoute = createRoute({
  method: 'post',
  path: '/v1/actions/{token}',
  tags: ['sensors'],
  summary: 'Press an alert button',
  description: 'Publishes the message the button stands for, exactly once. No bearer token: the URL is the credential, single-use and expiring.',
  security: [],
  request: { params: tokenParam },
  responses: {
    200: {
      description: 'Published (or acknowledged, for a button without a topic)',
      content: { 'application/json': { schema: resultSchema }, 'text/html': { schema: z.string() } },
    },
    ...problems(400, 404, 410, 501, 503),
  },
})

const showActionRoute = createRoute({
  method: 'get',
  path: '/v1/actions/{token}',
  tags: ['sensors'],
  summary: 'A page with the alert button',
  description: 'Changes nothing: shows what the button does and a form that POSTs to the same URL.',
  security: [],
  request: { params: tokenParam },
  responses: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } }, ...problems(400, 404, 410, 501) },
})

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A page with no script, no outside resource, that can only post back to itself. */
function page(title: string, body: string, status: number): Response {
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font:1.1rem system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem}button{font-size:1.2rem;padding:.8rem 1.4rem}@media(prefers-color-scheme:dark){body{background:#111;color:#eee}}</style>
<h1>${escapeHtml(title)}</h1>${body}</html>`
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
    },
  })
}

function failure(outcome: Exclude<ActionOutcome, { ok: true }>): ApiError {
  switch (outcome.reason) {
    case 'unknown':
      return errNotFound.with('no such action')
    case 'used':
      return errActionUsed.with(`"${outcome.record?.label}" was already used`)
    case 'expired':
      return errActionExpired.with(`"${outcome.record?.label}" has expired`)
    case 'failed':
      return errBusUnavailable.with('the message could not be published; try again')
    case 'unavailable':
      return errBusUnavailable.with(
        'home did not answer in time; if it comes back within seconds the press may still count, and pressing again will say so',
      )
  }
}

const wantsHtml = (accept: string | undefined) => accept !== undefined && accept.includes('text/html')

export function actionRoutes() {
  const app = createRouter()
  app.openapi(useActionRoute, async (c) => {
    const actions = c.get('deps').actions
    if (!actions) throw errNotAvailable.with('alert actions run on the home node')
    const outcome = await actions.use(c.req.valid('param').token)
    const html = wantsHtml(c.req.header('accept'))
    if (!outcome.ok) {
      const err = failure(outcome)
      if (html) return page(err.title, `<p>${escapeHtml(err.detail ?? '')}</p>`, err.status) as never
      throw err
    }
    const { label, topic } = outcome.record
    if (html) return page(`Done: ${label}`, '<p>You can close this page.</p>', 200) as never
    return c.json({ ok: true as const, label, ...(topic !== undefined ? { topic } : {}) }, 200)
  })
  app.openapi(showActionRoute, async (c) => {
    const actions = c.get('deps').actions
    if (!actions) throw errNotAvailable.with('alert actions run on the home node')
    const outcome = await actions.peek(c.req.valid('param').token)
    if (!outcome.ok) {
      const err = failure(outcome)
      return page(err.title, `<p>${escapeHtml(err.detail ?? '')}</p>`, err.status) as never
    }
    const { label, topic } = outcome.record
    const what = topic !== undefined ? `<p>Publishes to <code>${escapeHtml(topic)}</code>.</p>` : ''
    return page(label, `${what}<form method="post"><button type="submit">${escapeHtml(label)}</button></form>`, 200) as never
  })
  return app
}
