/** Counters for /metrics, rendered in the Prometheus text exposition format 0.0.4. */
import type { MetricLine, Metrics } from './ports/metrics.js'

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels || Object.keys(labels).length === 0) return ''
  return `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`
}

export function renderMetricLines(lines: MetricLine[]): string {
  const seen = new Set<string>()
  let out = ''
  for (const line of lines) {
    if (!seen.has(line.name)) {
      seen.add(line.name)
      out += `# HELP ${line.name} ${line.help}\n# TYPE ${line.name} ${line.type}\n`
    }
    out += `${line.name}${labelText(line.labels)} ${line.value}\n`
  }
  return out
}

interface RequestCount {
  route: string
  method: string
  status: string
  count: number
}

export function createMetrics(): Metrics {
  // By route, then method, then status: the route and method strings are the same few objects every time, so
  // each lookup hashes nothing new (a "method route status" key was a fresh string to hash per request).
  const counts = new Map<string, Map<string, Map<number, RequestCount>>>()
  // First seen first, as they are rendered.
  const requests: RequestCount[] = []
  return {
    countRequest(route, method, status) {
      let byMethod = counts.get(route)
      if (!byMethod) counts.set(route, (byMethod = new Map()))
      let byStatus = byMethod.get(method)
      if (!byStatus) byMethod.set(method, (byStatus = new Map()))
      const entry = byStatus.get(status)
      if (entry) entry.count++
      else {
        const created = { route, method, status: String(status), count: 1 }
        byStatus.set(status, created)
        requests.push(created)
      }
    },
    render(extra) {
      const lines: MetricLine[] = [...extra]
      for (const r of requests) {
        lines.push({
          name: 'postbridge_http_requests_total',
          help: 'HTTP requests by route, method and status.',
          type: 'counter',
          value: r.count,
          labels: { route: r.route, method: r.method, status: r.status },
        })
      }
      // Group by metric name so each family is contiguous, as the format requires.
      lines.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      return renderMetricLines(lines)
    },
  }
}
