import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.js'

describe('createMetrics', () => {
  it('counts requests by route, method and status, rendered in the order first seen', () => {
    const m = createMetrics()
    m.countRequest('/v1/publish/:topic{.+}', 'POST', 200)
    m.countRequest('/v1/health', 'GET', 200)
    m.countRequest('/v1/publish/:topic{.+}', 'POST', 200)
    m.countRequest('/v1/publish/:topic{.+}', 'POST', 400)
    m.countRequest('/v1/publish/:topic{.+}', 'GET', 200)
    // A route string built anew (as a label is) counts with the one it equals.
    m.countRequest(['/v1', 'health'].join('/'), 'GET', 200)
    const lines = m
      .render([])
      .split('\n')
      .filter((l) => l.startsWith('postbridge_http_requests_total{'))
    expect(lines).toEqual([
      'postbridge_http_requests_total{route="/v1/publish/:topic{.+}",method="POST",status="200"} 2',
      'postbridge_http_requests_total{route="/v1/health",method="GET",status="200"} 2',
      'postbridge_http_requests_total{route="/v1/publish/:topic{.+}",method="POST",status="400"} 1',
      'postbridge_http_requests_total{route="/v1/publish/:topic{.+}",method="GET",status="200"} 1',
    ])
  })

  it('renders the request family once, after the families that sort before it', () => {
    const m = createMetrics()
    m.countRequest('/metrics', 'GET', 200)
    const text = m.render([{ name: 'postbridge_broker_connected', help: 'Connected.', type: 'gauge', value: 1 }])
    expect(text).toBe(
      '# HELP postbridge_broker_connected Connected.\n# TYPE postbridge_broker_connected gauge\npostbridge_broker_connected 1\n' +
        '# HELP postbridge_http_requests_total HTTP requests by route, method and status.\n# TYPE postbridge_http_requests_total counter\n' +
        'postbridge_http_requests_total{route="/metrics",method="GET",status="200"} 1\n',
    )
  })
})
