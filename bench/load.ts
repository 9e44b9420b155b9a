/**
 * A small HTTP load generator: a fixed number of requests over N keep-alive connections, with per-request latency.
 *
 * It speaks HTTP/1.1 over raw sockets with one request built once, because node:http's client (an Agent, a
 * ClientRequest and an IncomingMessage per request) costs about as much CPU per request as the servers under test:
 * on a 2-core machine it saturated its own core first, and every server then measured the same.
 */
import { connect, type Socket } from 'node:net'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))]!
}

const HEADER_END = Buffer.from('\r\n\r\n')
const CHUNKED_END = Buffer.from('0\r\n\r\n')

/** Where the response at the start of `buf` ends, and its status; undefined while it is incomplete. */
export function responseEnd(buf: Buffer): { end: number; status: number } | undefined {
  const headerEnd = buf.indexOf(HEADER_END)
  if (headerEnd < 0) return undefined
  const head = buf.toString('latin1', 0, headerEnd)
  const status = Number(head.slice(9, 12))
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  if (length) {
    const end = headerEnd + 4 + Number(length[1])
    return buf.length >= end ? { end, status } : undefined
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const at = buf.indexOf(CHUNKED_END, headerEnd + 4)
    return at < 0 ? undefined : { end: at + CHUNKED_END.length, status }
  }
  return { end: headerEnd + 4, status } // no body (204, 304)
}

/** Sends `total` POSTs of `body` to `url`, `connections` at a time, each connection one request after another. */
export async function runLoad(opts: {
  url: string
  total: number
  connections: number
  body: Uint8Array
  headers: Record<string, string>
}): Promise<LoadResult> {
  const target = new URL(opts.url)
  const headers = { host: target.host, ...opts.headers, 'content-length': String(opts.body.byteLength) }
  const request = Buffer.concat([
    Buffer.from(
      `POST ${target.pathname}${target.search} HTTP/1.1\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
      'latin1',
    ),
    opts.body,
  ])
  const latencies: number[] = []
  let errors = 0
  let issued = 0

  const lane = () =>
    new Promise<void>((resolve) => {
      let socket: Socket
      let pending: Buffer = Buffer.alloc(0)
      let started = 0
      let inFlight = false
      let finished = false
      const next = () => {
        if (issued >= opts.total) {
          finished = true
          socket.end()
          resolve()
          return
        }
        issued++
        inFlight = true
        started = performance.now()
        socket.write(request)
      }
      const open = () => {
        pending = Buffer.alloc(0)
        socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true }, next)
        socket.on('data', (chunk: Buffer) => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
          const done = responseEnd(pending)
          if (!done) return
          pending = pending.subarray(done.end)
          inFlight = false
          latencies.push(performance.now() - started)
          if (done.status !== 200) errors++
          next()
        })
        socket.on('error', () => {})
        // A connection the server closed, broke or refused: an error, then a new connection.
        socket.on('close', () => {
          if (finished) return
          if (inFlight) {
            inFlight = false
            latencies.push(performance.now() - started)
          } else {
            issued++ // a connection refused counts as a request that failed, so a dead server ends the run
          }
          errors++
          if (issued >= opts.total) {
            finished = true
            resolve()
          } else open()
        })
      }
      open()
    })

  const t0 = performance.now()
  await Promise.all(Array.from({ length: opts.connections }, lane))
  const seconds = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  return {
    requests: opts.total,
    errors,
    seconds,
    perSecond: opts.total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  }
}
