/** createApp(resolveDeps): the whole HTTP API as a Hono app, the same on Node and on Workers. */
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { TrieRouter } from 'hono/router/trie-router'
import { bearerFrom, createTokenVerifier } from './auth/token.js'
import type { TokenRecord } from './ports/types.js'
import type { TokenStore } from './ports/token-store.js'
import { CachedRouter } from './http/cached-router.js'
import { type LazyRouteGroup, mountOnFirstRequest } from './http/lazy-route-groups.js'
import { corsMiddleware } from './http/cors.js'
import { LICENSE, SERVERS, withOperationIds } from './openapi-document.js'
import {
  ApiError,
  errInternal,
  errInvalidRequest,
  errJsonMalformed,
  errNotFound,
  errPayloadTooLarge,
  errRequestsFull,
  errRequestsPerToken,
  errStreamsFull,
  errStreamsPerToken,
  errTopicInvalid,
  errUnauthorized,
  errUnsupportedMediaType,
} from './errors.js'
import { Slots, type ApiSlots } from './limits/slots.js'
import type { Deps } from './ports/deps.js'
import type { AppContext, AppEnv } from './routes/env.js'
import { createRouter } from './routes/env.js'
import { limitBody } from './routes/body-limit.js'
import { dotLevelTopic } from './routes/topic-path.js'
import { healthRoutes, metricsRoutes } from './routes/health.js'
import { publishRoutes } from './routes/publish.js'
import { requestRoutes } from './routes/request.js'
import { retainedRoutes } from './routes/retained.js'
import { subscribeRoutes } from './routes/subscribe.js'
import { mountDashboard } from './routes/dashboard.js'

export const API_VERSION = '0.1.0'

type RouteGroup = () => OpenAPIHono<AppEnv>

/**
 * The API's route groups, in the OpenAPI document's order. The first few serve what a house does all day and are
 * mounted with the app; the rest (administration, door sensors and alerts, backups) are loaded by the first request
 * under their path (see http/lazy-route-groups.ts), each its own chunk of the CLI bundle.
 */
const ROUTE_GROUPS: readonly (RouteGroup | LazyRouteGroup<OpenAPIHono<AppEnv>>)[] = [
  healthRoutes,
  metricsRoutes,
  publishRoutes,
  retainedRoutes,
  requestRoutes,
  subscribeRoutes,
  { under: '/v1/tokens', load: async () => (await import('./routes/tokens.js')).tokenRoutes },
  { under: '/v1/webhooks', load: async () => (await import('./routes/webhooks.js')).webhookRoutes },
  { under: '/v1/sensors', load: async () => (await import('./routes/sensors.js')).sensorRoutes },
  { under: '/v1/notifiers', load: async () => (await import('./routes/notifiers.js')).notifierRoutes },
  { under: '/v1/backup', load: async () => (await import('./routes/backup.js')).backupRoutes },
  { under: '/v1/actions', load: async () => (await import('./routes/actions.js')).actionRoutes },
  { under: '/v1/clients', load: async () => (await import('./routes/clients.js')).clientRoutes },
  { under: '/v1/mqtt-users', load: async () => (await import('./routes/mqtt-users.js')).mqttUserRoutes },
  { under: '/v1/whoami', load: async () => (await import('./routes/whoami.js')).whoamiRoutes },
]

/** Every route group mounted, in order, on a router of its own: what the OpenAPI document is generated from. */
async function documentedRoutes(): Promise<OpenAPIHono<AppEnv>> {
  const routes = createRouter()
  for (const group of ROUTE_GROUPS) routes.route('/', typeof group === 'function' ? group() : (await group.load())())
  routes.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' })
  return routes
}

export interface AppOptions {
  /** hex SHA-256 of POSTBRIDGE_ADMIN_TOKEN, when it is set. */
  envAdminHash?: string
  /** Browser origins allowed to call the API (http.cors.origins); none: no CORS headers at all. */
  corsOrigins?: readonly string[]
}

function problemResponse(err: ApiError): Response {
  const retryAfter = err.extra?.retryAfter
  return new Response(JSON.stringify(err.toProblem()), {
    status: err.status,
    headers: { 'content-type': 'application/problem+json', ...(typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {}) },
  })
}

/** Checks the request's bearer token and keeps its record for the routes; throws the 401 problem. */
function tokenCheck(options: AppOptions): (c: AppContext) => Promise<void> {
  // One verifier per token store: the Worker may hand each request new deps over the same store.
  const verifiers = new WeakMap<TokenStore, (presented: string) => Promise<TokenRecord | undefined>>()
  return async (c) => {
    const presented = bearerFrom(c.req.header('authorization'))
    if (!presented) throw errUnauthorized
    const store = c.get('deps').tokens
    let verify = verifiers.get(store)
    if (!verify) verifiers.set(store, (verify = createTokenVerifier(store, options.envAdminHash)))
    const record = await verify(presented)
    if (!record) throw errUnauthorized.with('the token is unknown or revoked')
    c.set('token', record)
  }
}

/** Whether a path is under `/v1/` as Hono's `/v1/*` pattern takes it (`/v1` itself included). */
function isApiPath(path: string): boolean {
  return path.startsWith('/v1/') || path === '/v1'
}

/** Refuses a topic path whose `.` or `..` level the URL parser resolved away (the target as written has it). */
function refuseDotLevelTopic(c: AppContext): void {
  const target = c.env?.requestTarget
  const topic = target === undefined ? undefined : dotLevelTopic(target)
  if (topic !== undefined)
    throw errTopicInvalid.with(`topic "${topic}" has a "." or ".." level, which URL parsing resolves away; name it in a JSON body or a query instead`)
}

/** Every route is always mounted; a feature whose port a runtime lacks answers 501 (see Deps). */
export function createApp(resolveDeps: (c: AppContext) => Deps, options: AppOptions = {}) {
  // Only this app's router serves requests: the route modules' routers are copied into it by app.route(). A trie,
  // as it takes the lazy groups' routes after it has matched (RegExpRouter cannot take the API's routes anyway).
  const app = createRouter({ router: new CachedRouter(new TrieRouter()) })
  // First of all: the request that mounts a group is handed to the app again, before anything else has seen it.
  const lazyGroups = ROUTE_GROUPS.filter((group) => typeof group !== 'function')
  mountOnFirstRequest(app, lazyGroups, (routes) => app.route('/', routes))
  const slots: ApiSlots = {
    streams: new Slots({ perToken: errStreamsPerToken, total: errStreamsFull, retryAfterS: 5 }),
    requests: new Slots({ perToken: errRequestsPerToken, total: errRequestsFull, retryAfterS: 1 }),
  }

  app.use('*', async (c, next) => {
    c.set('deps', resolveDeps(c))
    c.set('slots', slots)
    await next()
    // routePath is the pattern ("/v1/publish/:topic{.+}"), so labels stay few whatever the topics.
    c.get('deps').metrics.countRequest(c.req.routePath, c.req.method, c.res.status)
  })

  app.onError((err, c) => {
    if (err instanceof ApiError) return problemResponse(err)
    if (err instanceof HTTPException) {
      if (err.status === 413) return problemResponse(errPayloadTooLarge)
      if (err.status === 415) return problemResponse(errUnsupportedMediaType.with('send application/json'))
      // hono's JSON validator: "Malformed JSON in request body".
      if (err.status === 400 && /json/i.test(err.message)) return problemResponse(errJsonMalformed.with(err.message))
      if (err.status === 400) return problemResponse(errInvalidRequest.with(err.message))
    }
    if (err instanceof SyntaxError) return problemResponse(errJsonMalformed)
    // Made here, not for every request: only an answer like this one names the request.
    const requestId = c.req.header('x-request-id') ?? crypto.randomUUID()
    c.get('deps')?.log.error({ err: err instanceof Error ? err.stack : String(err), requestId }, 'unhandled error')
    return problemResponse(errInternal.with(`request ${requestId} failed; the server log has it`, { requestId }))
  })
  app.notFound(() => problemResponse(errNotFound.with('no such route')))
  // Before the token check: a preflight carries no Authorization header.
  if (options.corsOrigins?.length) app.use('*', corsMiddleware(options.corsOrigins))

  const checkToken = tokenCheck(options)
  // The checks every request meets after CORS, in this order, as one middleware: each middleware level costs every
  // request a dispatch, closures and promises. The token first: /v1/health answers without a token (only
  // ok/degraded), a token given there is checked and shows the details; alert buttons carry their own single-use
  // credential in the URL (routes/actions.ts). Then, on every path, the topic's dot levels: `/v1/publish/../../x`
  // resolves to `/x`, yet names a topic. Then the bound on an API request's JSON body.
  app.use('*', async (c, next) => {
    const path = c.req.path
    const api = isApiPath(path)
    const tokenless = api ? (path === '/v1/health' && !c.req.header('authorization')) || path.startsWith('/v1/actions/') : path !== '/metrics'
    if (!tokenless) await checkToken(c)
    refuseDotLevelTopic(c)
    // Most requests have no body to bound: they wait on no promise for it.
    const reading = api ? limitBody(c) : undefined
    if (reading) await reading
    await next()
  })

  for (const group of ROUTE_GROUPS) if (typeof group === 'function') app.route('/', group())
  mountDashboard(app)

  let yamlCache: string | undefined
  let htmlCache: string | undefined
  // Of every group, whether this app has loaded it yet or not.
  const document = async () =>
    withOperationIds(
      (await documentedRoutes()).getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Postbridge',
          version: API_VERSION,
          description: 'HTTP and MQTT for the things in a house: publish to devices, read retained state, stream messages, ask and wait for replies.',
          license: LICENSE,
        },
        servers: SERVERS,
      }),
    )
  // Like every route's (routes/env.ts): a query these take none of is refused rather than ignored.
  const noQuery: MiddlewareHandler<AppEnv> = async (c, next) => {
    const names = Object.keys(c.req.queries())
    if (names.length > 0) throw errInvalidRequest.with(`unknown query parameter(s) ${names.map((n) => `"${n}"`).join(', ')}`)
    await next()
  }
  app.use('/openapi.yaml', noQuery)
  app.use('/docs', noQuery)
  // The YAML writer is loaded by the first request for the document: a node that is never asked does not carry it.
  const openApiYaml = async () => (yamlCache ??= (await import('yaml')).stringify(await document()))
  app.get('/openapi.yaml', async (c) => c.body(await openApiYaml(), 200, { 'content-type': 'application/yaml; charset=utf-8' }))
  app.get('/docs', async (c) => c.html((htmlCache ??= (await import('./docs/render.js')).renderDocsHtml((await document()) as never))))
  return Object.assign(app, { openApiYaml })
}
