import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config.js'
import { EDGE_DEFAULTS, parseEdgeSettings } from './edge-settings.js'

describe('parseEdgeSettings', () => {
  it('has a default for every setting and no default secret', () => {
    const s = parseEdgeSettings({})
    expect(s).toEqual({ ...EDGE_DEFAULTS })
    expect(s.edgeSecret).toBeUndefined()
  })
  it('reads the queue bounds and the ack timeout from the vars', () => {
    const s = parseEdgeSettings({
      POSTBRIDGE_EDGE_QUEUE_MAX: '5',
      POSTBRIDGE_EDGE_QUEUE_MAX_AGE: '90s',
      POSTBRIDGE_EDGE_ACK_TIMEOUT: '250ms',
      POSTBRIDGE_EDGE_SECRET: 'sixteen-chars-long',
      POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE: 'true',
    })
    expect(s).toMatchObject({ queueMax: 5, queueMaxAgeMs: 90_000, ackTimeoutMs: 250, edgeSecret: 'sixteen-chars-long', webhooksAllowPrivate: true })
  })
  it('names every bad var at once', () => {
    try {
      parseEdgeSettings({ POSTBRIDGE_EDGE_QUEUE_MAX: '0', POSTBRIDGE_EDGE_QUEUE_MAX_AGE: 'soon', POSTBRIDGE_EDGE_SECRET: 'short' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems
      expect(problems).toHaveLength(3)
      expect(problems.join('\n')).toMatch(/POSTBRIDGE_EDGE_QUEUE_MAX:.*POSTBRIDGE_EDGE_QUEUE_MAX_AGE:.*POSTBRIDGE_EDGE_SECRET: must be at least 16/s)
      expect(problems.join('\n')).not.toContain('short')
    }
  })
})
