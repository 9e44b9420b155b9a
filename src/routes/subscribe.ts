/** GET /v1/subscribe?filter=...: Server-Sent Events of matching messages. */
import { createRoute, z } from '@hono/zod-openapi'
import { canReadFilter } from '../auth/token.js'
import { errFilterInvalid, errForbidden, errInvalidRequest } from '../errors.js'
import { toEnvelope } from '../message.js'
import { fullLimits } from '../limits/defaults.js'
import type { Unsubscribe } from '../ports/bus.js'
import type { Deps } from '../ports/deps.js'
import { validateTopicFilter } from '../topic/validate.js'
import { bearerSecurity, createRouter, problems } from './env.js'

/** Proxies close idle streams; a comment line every 15 s keeps them open. */
export const SSE_KEEPALIVE_MS = 15_000
/** After an overflow, how long the final event may take to reach the reader before the connection is cut. */
export const SSE_OVERFLOW_GRACE_MS = 5_000
const MAX_FILTERS = 32
/** How long a revoked stream may take to send its `revoked` event before it is cut. */
const REVOKED_GRACE_MS = 250

const subscribeRoute = createRoute({
  method: 'get',
  path: '/v1/subscribe',
  tags: ['subscribe'],
  summary: 'Stream matching messages as Server-Sent Events',
  description:
    'Each message is an event `message` whose data is the JSON envelope. A reader that falls more than ' +
    '`http.sseBufferBytes` behind is dropped: the stream ends with an event `overflow` (reconnect and read faster). ' +
    'Open streams are capped per token (429) and in total (503), with `Retry-After`. ' +
    'When the token is revoked, a `revoked` event ends the stream.',
  security: bearerSecurity,
  request: {
    query: z.object({
      filter: z.union([z.string(), z.array(z.string())]).openapi({
        param: { name: 'filter', in: 'query', style: 'form', explode: true },
        description: 'MQTT topic filter; repeatable',
        example: 'home/#',
      }),
    }),
  },
  responses: {
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...problems(400, 401, 403, 429, 503),
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
      if (!canReadFilter(c.get('token').scope, f)) throw errForbidden.with(`no read scope for "${f}"`)
    }
    const deps = c.get('deps')
    const limits = fullLimits(deps.limits)
    const release = c.get('slots').streams.acquire(c.get('token').id, { total: limits.maxStreams, perToken: limits.maxStreamsPerToken })
    let body: ReadableStream<Uint8Array>
    try {
      body = await eventStream(deps, filters, limits.sseBufferBytes, release, c.get('token').id)
    } catch (err) {
      release()
      throw err
    }
    return c.body(body, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }) as never
  })
  return app
}

/**
 * The event stream of one subscriber. It is pulled: a frame leaves only when the server can write it, and what waits
 * for the reader is counted in bytes. Past the budget the stream is dropped: the queue is freed, the subscription
 * ends, and a final `overflow` event goes out; a reader that does not take even that within the grace period has its
 * connection cut (the stream errors). One frame is always accepted into an empty queue, so a message larger than the
 * budget still gets through to a reader that keeps up.
 */
async function eventStream(
  deps: Deps,
  filters: string[],
  budgetBytes: number,
  onEnd: () => void,
  tokenId: string,
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder()
  const queue: string[] = []
  /** Bytes each queued frame counts for. */
  const sizes: number[] = []
  let queuedBytes = 0
  let sequence = 0
  let ended = false
  let overflowed = false
  /** The reader took everything, the overflow event included. */
  let finished = false
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let pulling: (() => void) | undefined
  let keepalive: ReturnType<typeof setInterval> | undefined
  let unsubscribe: Unsubscribe | undefined
  let unwatch: (() => void) | undefined

  const end = () => {
    if (ended) return
    ended = true
    unwatch?.()
    clearInterval(keepalive)
    queue.length = 0
    sizes.length = 0
    queuedBytes = 0
    void unsubscribe?.().catch(() => {})
    onEnd()
  }
  /** Ends the stream with a last event; a reader that does not take it within graceMs has its connection cut. */
  const finishWith = (event: string, data: object, graceMs: number, why: string) => {
    end()
    overflowed = true
    try {
      controller.enqueue(encoder.encode(frame(event, JSON.stringify(data))))
    } catch {
      return
    }
    // A reader waiting in pull() gets the frame now; its next pull ends the stream.
    const waiting = pulling
    pulling = undefined
    waiting?.()
    // A reader that never reads would keep the connection and its last frames forever: cut it.
    setTimeout(() => {
      if (finished) return
      deps.log.info({ filters }, `SSE reader did not take the ${event} event: connection cut`)
      // The code is the one @hono/node-server takes for a client gone away: it closes the socket without logging a stack.
      controller.error(Object.assign(new Error(why), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))
    }, graceMs)
  }
  const overflow = () => {
    deps.log.info({ filters, budgetBytes }, 'SSE reader fell behind: stream dropped')
    finishWith(
      'overflow',
      { bufferBytes: budgetBytes, detail: 'the reader fell behind; the stream is closed' },
      SSE_OVERFLOW_GRACE_MS,
      'SSE reader fell behind',
    )
  }
  /** Control frames (ready, keepalive) are small, few, and not counted. */
  const push = (text: string, counted = true) => {
    if (ended) return
    if (pulling) {
      controller.enqueue(encoder.encode(text))
      const resolve = pulling
      pulling = undefined
      resolve()
      return
    }
    const bytes = counted ? text.length : 0
    if (queuedBytes > 0 && queuedBytes + bytes > budgetBytes) return overflow()
    queue.push(text)
    sizes.push(bytes)
    queuedBytes += bytes
  }

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull(c) {
        if (overflowed) {
          // Asked for more after the overflow frame: the reader has it, the stream ends normally.
          finished = true
          c.close()
          return undefined
        }
        const next = queue.shift()
        if (next === undefined) return new Promise<void>((resolve) => (pulling = resolve))
        queuedBytes -= sizes.shift()!
        c.enqueue(encoder.encode(next))
        return undefined
      },
      cancel() {
        end()
      },
    },
    { highWaterMark: 0 },
  )
  push(frame('ready', JSON.stringify({ filters })), false)
  // Revoking the token ends what it started: a final `revoked` event, then the stream closes.
  unwatch = deps.tokenWatch?.watch(tokenId, () => {
    if (!ended) finishWith('revoked', { reason: 'the token was revoked' }, REVOKED_GRACE_MS, 'token revoked')
  })
  unsubscribe = await deps.bus.subscribe(filters, (m) => push(frame('message', JSON.stringify(toEnvelope(m)), ++sequence)))
  if (ended) void unsubscribe().catch(() => {})
  keepalive = setInterval(() => {
    if (queue.length === 0) push(': keepalive\n\n', false)
  }, SSE_KEEPALIVE_MS)
  return body
}

/** One SSE event; data is one line of JSON (JSON.stringify never writes a raw line break). */
function frame(event: string, data: string, id?: number): string {
  return `event: ${event}\ndata: ${data}\n${id !== undefined ? `id: ${id}\n` : ''}\n`
}
