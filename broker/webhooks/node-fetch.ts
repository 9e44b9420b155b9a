/**
 * A fetch for webhook delivery over node:http(s) with keep-alive agents. Undici's fetch costs about twice as much per
 * request on Node 20, and a lane sends one request at a time, so this sets the ceiling of deliveries per second.
 * It covers what deliverOnce uses: POST, headers, a string body, an abort signal, no redirects, a small response.
 */
import http from 'node:http'
import https from 'node:https'

/** Response bytes kept; more are dropped with the connection (deliverOnce reads at most this much anyway). */
const MAX_RESPONSE_BYTES = 64 * 1024

export interface NodeFetch {
  fetch: typeof fetch
  /** Closes idle keep-alive connections. */
  close(): void
}

function plainHeaders(init: HeadersInit | undefined): Record<string, string> {
  if (!init) return {}
  if (init instanceof Headers || Array.isArray(init)) return Object.fromEntries(new Headers(init))
  return init as Record<string, string>
}

export function createNodeFetch(): NodeFetch {
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) }
  const nodeFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(String(input))
      const agent = agents[url.protocol as 'http:' | 'https:']
      if (!agent) return reject(new TypeError(`unsupported protocol ${url.protocol}`))
      const signal = init.signal ?? undefined
      if (signal?.aborted) return reject(signal.reason)
      let settled = false
      const settle = (outcome: () => Response | Error) => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', onAbort)
        let value: Response | Error
        try {
          value = outcome()
        } catch (err) {
          value = err as Error // a status Response refuses (1xx)
        }
        if (value instanceof Response) resolve(value)
        else reject(value)
      }
      // Same shape as undici: "fetch failed" with the system error (ECONNREFUSED...) as the cause.
      const failed = (err: unknown) => settle(() => (signal?.aborted ? (signal.reason as Error) : new TypeError('fetch failed', { cause: err })))
      const body = typeof init.body === 'string' ? init.body : ''
      const headers = { ...plainHeaders(init.headers), 'content-length': String(Buffer.byteLength(body)) }
      const client = url.protocol === 'https:' ? https : http
      const req = client.request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        const respond = () =>
          settle(() => {
            const responseHeaders = new Headers()
            for (const [name, value] of Object.entries(res.headers))
              if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value)
            const status = res.statusCode ?? 0
            const noBody = status === 204 || status === 304 || chunks.length === 0
            return new Response(noBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders })
          })
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk)
          else {
            respond() // enough to know the answer; the rest is dropped with the connection
            res.destroy()
          }
        })
        res.on('end', respond)
        res.on('error', failed)
        res.on('close', () => failed(new Error('response closed before its end')))
      })
      const onAbort = () => req.destroy(signal!.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      req.on('error', failed)
      req.end(body)
    })
  return {
    fetch: nodeFetch as typeof fetch,
    close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}
