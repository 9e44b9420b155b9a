/** Prometheus-style counters kept by the core (routes) and read by /metrics. */
export interface Metrics {
  countRequest(route: string, method: string, status: number): void
  render(extra: MetricLine[]): string
}

export interface MetricLine {
  name: string
  help: string
  type: 'counter' | 'gauge'
  value: number
  labels?: Record<string, string>
}
