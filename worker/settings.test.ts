import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.js'
import type { Env } from './env.js'
import { brokerTargetOrError, misconfigured, orConfigError, parseHubSettings } from './settings.js'

const vars = (v: Record<string, string>) => v as unknown as Env

describe("the Worker's variables", () => {
  it('names every bad variable of the link mode in one ConfigError, whichever parser found it', () => {
    const err = orConfigError(() => parseHubSettings(vars({ POSTBRIDGE_EDGE_QUEUE_MAX: '0', POSTBRIDGE_EDGE_LINK_QUIET: 'soon' })))
    expect(err).toBeInstanceOf(ConfigError)
    const problems = (err as ConfigError).problems
    expect(problems.some((p) => p.startsWith('POSTBRIDGE_EDGE_QUEUE_MAX'))).toBe(true)
    expect(problems.some((p) => p.startsWith('POSTBRIDGE_EDGE_LINK_QUIET'))).toBe(true)
  })

  it('reads the link mode with its defaults when nothing is set', () => {
    const settings = parseHubSettings(vars({}))
    expect(settings.linkQuiet).toEqual({ quietMs: 10 * 60_000, notifierIds: [] })
    expect(settings.queueMax).toBeGreaterThan(0)
  })

  it('gives a bad BROKER_URL as the ConfigError of the home config, and a good one as its target', () => {
    const bad = brokerTargetOrError(vars({ BROKER_URL: 'https://broker.example' }))
    expect(bad).toBeInstanceOf(ConfigError)
    expect((bad as ConfigError).problems).toEqual(['BROKER_URL: scheme "https" is not supported (use mqtt:// or mqtts://)'])
    expect(brokerTargetOrError(vars({ BROKER_URL: 'mqtts://broker.example' }))).toMatchObject({ hostname: 'broker.example', port: 8883, tls: true })
  })

  it('throws on any error that is not a ConfigError', () => {
    expect(() =>
      orConfigError(() => {
        throw new TypeError('bug')
      }),
    ).toThrow(TypeError)
  })

  it('answers a misconfigured edge with 500 edge-misconfigured naming each bad variable', async () => {
    const res = misconfigured(new ConfigError(['A: bad', 'B: worse']))
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 50011, detail: 'A: bad; B: worse' })
  })
})
