/** GET /v1/subscribe?filter=...: Server-Sent Events of matching messages. */
import { createRoute, z } from '@hono/zod-openapi'
import { streamSSE } from 'hono/streaming'
import { canReadFilter } from '../auth/token.js'
import { errFilterInvalid, errForbidden, errInvalidRequest } from '../errors.js'
import { toEnvelope } from '../message.js'
import type { Message } from '../ports.js'
import { validateTopicFilter } from '../topic/validate.js'
import { bearerSecurity, createRouter, problems } from './env.js'

/** Messages held for a slow reader before the oldest are dropped (and counted in a `dropped` event). */
export const SSE_BUFFER_LIMIT = 1000
/** Proxies close idle streams; a comment line every 15 s keeps them open. */
export const SSE_KEEPALIVE_MS = 15_000
const MAX_FILTERS = 32
/** How long a revoked stream may take to send its `revoked` event before it is cut. */
const REVOKED_GRACE_MS = 250

const subscribeRoute = createRoute({
  method: 'get',
  path: '/v1/subscribe',
  tags: ['subscribe'],
  summary: 'Stream matching messages as Server-Sent Events',
  description:
    'Each message is an event `message` whose data is the JSON envelope. When the reader falls more than ' +
    `${SSE_BUFFER_LIMIT} messages behind, the oldest are dropped and a \`dropped\` event says how many. ` +
    'When the token is revoked, a `revoked` event ends the stream.',
  security: bearerSecurity,
  request: {
    query: z.object({
      filter: z
        .union([z.string(), z.array(z.string())])
        .openapi({ param: { name: 'filter', in: 'query', style: 'form', explode: true }, description: 'MQTT topic filter; repeatable', example: 'home/#' }),
    }),
  },
  responses: {
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...problems(400, 401, 403),
  },
})

export function subscribeRoutes() {
  const app = createRouter()
  app.openapi(subscribeRoute, async (c) => {
    const filters = c.req.queries('filter') ?? []
    if (filters.length === 0) throw errInvalidRequest.with('at least one filter is required')
    if (filters.length > MAX_FILTERS) throw errInvalidRequest.with(`at most ${MAX_FILTERS} filters`)
    for (const f of filters) {
      const reason = validateTopicFilter(f)
      if (reason) throw errFilterInvalid.with(`"${f}": ${reason}`)
      if (!canReadFilter(c.var.token.scope, f)) throw errForbidden.with(`no read scope for "${f}"`)
    }
    const deps = c.var.deps
    return streamSSE(c, async (stream) => {
      const queue: Message[] = []
      let dropped = 0
      let wake: (() => void) | undefined
      let closed = false
      const unsubscribe = await deps.bus.subscribe(filters, (m) => {
        if (queue.length >= SSE_BUFFER_LIMIT) {
          queue.shift()
          dropped++
        }
        queue.push(m)
        wake?.()
      })
      const keepalive = setInterval(() => wake?.(), SSE_KEEPALIVE_MS)
      stream.onAbort(() => {
        closed = true
        wake?.()
      })
      let revoked = false
      let cutOff: ReturnType<typeof setTimeout> | undefined
      const unwatch = deps.tokenWatch?.watch(c.var.token.id, () => {
        revoked = closed = true
        wake?.()
        // A reader that does not read holds a write pending for ever: cut the stream if the goodbye cannot go out.
        cutOff = setTimeout(() => stream.abort(), REVOKED_GRACE_MS)
      })
      let sequence = 0
      try {
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ filters }) })
        while (!closed) {
          if (queue.length === 0) {
            await new Promise<void>((resolve) => (wake = resolve))
            wake = undefined
            if (queue.length === 0 && !closed) await stream.write(': keepalive\n\n')
            continue
          }
          if (dropped > 0) {
            await stream.writeSSE({ event: 'dropped', data: JSON.stringify({ count: dropped }) })
            dropped = 0
          }
          const m = queue.shift()!
          await stream.writeSSE({ event: 'message', id: String(++sequence), data: JSON.stringify(toEnvelope(m)) })
        }
        if (revoked) await stream.writeSSE({ event: 'revoked', data: JSON.stringify({ reason: 'the token was revoked' }) })
      } finally {
        clearTimeout(cutOff)
        unwatch?.()
        clearInterval(keepalive)
        await unsubscribe()
      }
    }) as never
  })
  return app
}
