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

export function createMetrics(): Metrics {
  const requests = new Map<string, { route: string; method: string; status: string; count: number }>()
  return {
    countRequest(route, method, status) {
      const key = `${method} ${route} ${status}`
      const entry = requests.get(key)
      if (entry) entry.count++
      else requests.set(key, { route, method, status: String(status), count: 1 })
    },
    render(extra) {
      const lines: MetricLine[] = [...extra]
      for (const r of requests.values()) {
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
