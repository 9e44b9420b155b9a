/**
 * The dashboard's files at `/` and `/ui/*`: static, public (they hold no data), and only a client of /v1 like any
 * other. The token lives in the browser's sessionStorage and goes out as a bearer header on each API call.
 */
import type { Hono } from 'hono'
import type { AppEnv } from './env.js'

/**
 * Nothing but this node: no CDN, no inline script, no framing. connect-src 'self' keeps even a compromised page
 * from sending the token elsewhere.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

export function mountDashboard(app: Hono<AppEnv>): void {
  const serve = (path: string) => async (c: import('hono').Context<AppEnv>) => {
    const asset = await c.get('deps').dashboard?.get(path)
    if (!asset) return c.notFound()
    const headers: Record<string, string> = {
      'content-type': asset.contentType,
      'content-security-policy': DASHBOARD_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // The shell is small and names the other files: always fresh. The rest may be reused after a check.
      'cache-control': path === 'index.html' ? 'no-store' : 'no-cache',
      vary: 'accept-encoding',
    }
    const gzip = asset.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
    if (gzip) headers['content-encoding'] = 'gzip'
    const bytes = gzip ? asset.gzip! : asset.body
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers)
  }
  app.get('/', serve('index.html'))
  app.get('/ui/:path{.+}', (c) => serve(`ui/${c.req.param('path')}`)(c))
}
