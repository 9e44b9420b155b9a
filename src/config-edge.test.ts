import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from './config.js'

function problems(file: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(file, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

const SECRET = 'edge-secret-sixteen-plus'

describe('parseConfig: the edge link and an external broker (issue 5)', () => {
  it('has the link off, sending everything up once on, and the embedded broker by default', () => {
    const c = parseConfig(undefined, {})
    expect(c.edge).toEqual({ up: ['#'], minReconnectDelay: 1000, maxReconnectDelay: 60_000, keepalive: 30_000, outboxMax: 10_000 })
    expect(c.broker).toEqual({})
  })
  it('takes edge.keepalive as a duration of 1 s to 65535 s, the MQTT keep-alive range (issue 11)', () => {
    expect(parseConfig({ edge: { keepalive: '2s' } }, {}).edge.keepalive).toBe(2000)
    expect(problems({ edge: { keepalive: '500ms' } })[0]).toMatch(/edge\.keepalive/)
  })
  it('reads edge.url from the file or POSTBRIDGE_EDGE_URL, and the secret only from POSTBRIDGE_EDGE_SECRET', () => {
    const c = parseConfig({ edge: { url: 'https://pb.example.workers.dev', up: ['home/#'] } }, { POSTBRIDGE_EDGE_SECRET: SECRET })
    expect(c.edge).toMatchObject({ url: 'https://pb.example.workers.dev', up: ['home/#'], secret: SECRET })
    const e = parseConfig(undefined, { POSTBRIDGE_EDGE_URL: 'http://127.0.0.1:8787', POSTBRIDGE_EDGE_SECRET: SECRET })
    expect(e.edge.url).toBe('http://127.0.0.1:8787')
  })
  it('refuses a secret in the file, a url without a secret, a short secret, a non-http url and a bad filter', () => {
    expect(problems({ edge: { secret: SECRET } })).toEqual(['unknown key "edge.secret"'])
    expect(problems({ edge: { url: 'https://x.example' } })[0]).toMatch(/POSTBRIDGE_EDGE_SECRET is not/)
    expect(problems(undefined, { POSTBRIDGE_EDGE_SECRET: 'short' })[0]).toMatch(/at least 16/)
    expect(problems({ edge: { url: 'mqtt://x.example' } }, { POSTBRIDGE_EDGE_SECRET: SECRET })[0]).toMatch(/^edge.url: must be an http/)
    expect(problems({ edge: { up: ['a/#/b'] } })[0]).toMatch(/^edge.up.0:/)
  })
  it('reads broker.external from the file or POSTBRIDGE_BROKER_EXTERNAL, the password only from the environment', () => {
    const c = parseConfig({ broker: { external: 'mqtt://127.0.0.1:1883', username: 'pb' } }, { POSTBRIDGE_BROKER_PASSWORD: 'pw' })
    expect(c.broker).toEqual({ external: 'mqtt://127.0.0.1:1883', username: 'pb', password: 'pw' })
    expect(parseConfig(undefined, { POSTBRIDGE_BROKER_EXTERNAL: 'mqtts://broker.example:8883' }).broker.external).toBe('mqtts://broker.example:8883')
  })
  it('refuses an external broker URL of another scheme or holding a password', () => {
    expect(problems({ broker: { external: 'http://x.example' } })[0]).toMatch(/^broker.external: must be an mqtt/)
    expect(problems({ broker: { external: 'mqtt://u:p@x.example' } })[0]).toMatch(/POSTBRIDGE_BROKER_PASSWORD/)
  })
})
