/**
 * CORS for browser apps on other origins (`http.cors.origins`). Only listed origins are echoed; a preflight is
 * answered without a token, since a browser never sends credentials with one (Fetch standard, CORS-preflight).
 */
import type { MiddlewareHandler } from 'hono'

export const CORS_ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE'
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type'
/** Headers of our answers a page may read besides the CORS-safelisted ones. */
const CORS_EXPOSE_HEADERS = 'Location, Retry-After, MQTT-Topic, MQTT-QoS, MQTT-Retain'
/** How long a browser may cache a preflight answer (seconds). */
const CORS_MAX_AGE_S = 600

/** Why `origin` cannot be listed in http.cors.origins, or undefined when it can: `scheme://host[:port]` exactly. */
export function validateCorsOrigin(origin: string): string | undefined {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return `"${origin}" is not an origin such as https://app.example.com`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `"${origin}" is not an http(s) origin`
  if (url.origin !== origin) return `"${origin}" is not an origin: write it as ${url.origin}`
  return undefined
}

export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins)
  return async (c, next) => {
    const origin = c.req.header('origin')
    const listed = origin !== undefined && allowed.has(origin)
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined) {
      // A preflight from an origin not listed gets no CORS headers, so the browser sends nothing.
      if (!listed) return c.body(null, 204, { vary: 'Origin' })
      return c.body(null, 204, {
        'access-control-allow-origin': origin,
        'access-control-allow-methods': CORS_ALLOW_METHODS,
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_S),
        vary: 'Origin',
      })
    }
    await next()
    c.res.headers.append('vary', 'Origin')
    if (listed) {
      c.res.headers.set('access-control-allow-origin', origin)
      c.res.headers.set('access-control-expose-headers', CORS_EXPOSE_HEADERS)
    }
  }
}
