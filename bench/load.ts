/** A small HTTP load generator: a fixed number of requests over N keep-alive connections, with per-request latency. */
import { Agent, request } from 'node:http'

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

/** Sends `total` POSTs of `body` to `url`, `connections` at a time, each connection one request after another. */
export async function runLoad(opts: {
  url: string
  total: number
  connections: number
  body: Uint8Array
  headers: Record<string, string>
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections })
  const target = new URL(opts.url)
  const latencies: number[] = []
  let errors = 0
  let issued = 0
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now()
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { ...opts.headers, 'content-length': opts.body.byteLength },
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) errors++
            latencies.push(performance.now() - started)
            resolve()
          })
        },
      )
      req.on('error', () => {
        errors++
        resolve()
      })
      req.end(opts.body)
    })
  const lane = async () => {
    while (issued < opts.total) {
      issued++
      await one()
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: opts.connections }, lane))
  const seconds = (performance.now() - t0) / 1000
  agent.destroy()
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
