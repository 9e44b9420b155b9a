/** Shared types and helpers for route modules. */
import type { Context } from 'hono'
import type { HonoOptions } from 'hono/hono-base'
import { OpenAPIHono, z } from '@hono/zod-openapi'
import type { TokenRecord } from '../ports/types.js'
import type { Deps } from '../ports/deps.js'
import { type ApiError, errInvalidRequest, errQosInvalid } from '../errors.js'
import type { ApiSlots } from '../limits/slots.js'

export interface AppEnv {
  Variables: { deps: Deps; token: TokenRecord; slots: ApiSlots }
  /** What the runtime hands app.fetch beside the request; a runtime may hand nothing. */
  Bindings: AppBindings
}

export interface AppBindings {
  /**
   * The request target as the client wrote it, where the runtime has it (Node's `req.url`): the Request's URL has
   * been through the URL parser, which resolves `.` and `..` segments, and a topic route must see that they were there.
   */
  requestTarget?: string
  /**
   * Where the runtime offers a body that has wholly arrived with the headers, unread (Node: broker/http/arrived-body.ts):
   * `rawBody` is that body, or undefined when it must be read from the Request's stream. Taking it directly spares the
   * copy into a new ArrayBuffer that Request.arrayBuffer() makes (routes/body.ts).
   */
  arrivedBody?: { readonly rawBody: Uint8Array | undefined }
}

export type AppContext = Context<AppEnv>

/** What a failed route schema becomes: one 400 problem listing every bad field (a bad qos alone has its own code). */
export function validationProblem(issues: readonly z.core.$ZodIssue[], target: string): ApiError {
  const unknown = target === 'query' ? 'unknown query parameter(s)' : 'unknown field(s)'
  const lines = issues.map((i) => {
    const where = i.path.join('.')
    const what = i.code === 'unrecognized_keys' ? `${unknown} ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message
    return where ? `${where}: ${what}` : what
  })
  // A bad qos has its own code (query `?qos=3` or an envelope's `qos`, also inside a batch).
  const qosOnly = issues.every((i) => i.path[i.path.length - 1] === 'qos')
  return (qosOnly ? errQosInvalid : errInvalidRequest).with(lines.join('; '), { errors: lines })
}

/**
 * Validation failures of route schemas become one 400 problem listing every bad field. Every route's query is
 * strict: an unknown parameter (`?retained=true` for `retain`) is refused rather than silently ignored.
 */
export function createRouter(options: { router?: HonoOptions<AppEnv>['router'] } = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Hono copies its options onto itself: an absent router must not become `router: undefined`.
    ...(options.router ? { router: options.router } : {}),
    defaultHook: (result) => {
      if (!result.success) throw validationProblem(result.error.issues, result.target)
    },
  })
  const register = app.openapi
  app.openapi = ((route: RouteConfig, ...rest: unknown[]) =>
    register({ ...route, request: withStrictQuery(route.request) }, ...(rest as [never]))) as typeof app.openapi
  return app
}

type RouteConfig = Parameters<OpenAPIHono<AppEnv>['openapi']>[0]

/** The route's query schema made strict, or an empty strict one for a route that takes no query. */
function withStrictQuery(request: RouteConfig['request']): RouteConfig['request'] {
  const query = request?.query
  if (query === undefined) return { ...request, query: z.strictObject({}) }
  return query instanceof z.ZodObject ? { ...request, query: query.strict() } : request
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.number().int(),
    detail: z.string().optional(),
  })
  .openapi('Problem')

/** The problem+json responses a route can give, for the OpenAPI document. */
export function problems(
  ...statuses: number[]
): Record<number, { description: string; content: { 'application/problem+json': { schema: typeof problemSchema } } }> {
  const descriptions: Record<number, string> = {
    400: 'Bad input; nothing was changed',
    401: 'Missing or wrong bearer token',
    403: 'The token scope does not allow this',
    404: 'Not found',
    409: 'Conflict',
    413: 'Payload larger than the limit',
    429: 'Too many open for this token; see Retry-After',
    501: 'Not available on this runtime',
    503: 'The broker is not accepting messages, or too many are open; see Retry-After',
    504: 'No reply before the timeout',
  }
  const out: ReturnType<typeof problems> = {}
  for (const s of statuses) out[s] = { description: descriptions[s] ?? 'Error', content: { 'application/problem+json': { schema: problemSchema } } }
  return out
}

export const bearerSecurity = [{ bearerAuth: [] }]

/**
 * OpenAPI path params cannot span several segments, but MQTT topics hold '/'.
 * The document shows `{topic}`; the router matches the rest of the path.
 */
export function multiSegment(path: string): string {
  return path.replace('{topic}', '{topic{.+}}')
}

/** The router path of a multi-segment OpenAPI path, for a route registered without app.openapi. */
export function multiSegmentRoute(path: string): string {
  return path.replace('{topic}', ':topic{.+}')
}
