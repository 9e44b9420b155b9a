import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig, parseDuration } from './config.js'

function problems(file: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(file, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('parseConfig', () => {
  it('has a default for every key', () => {
    const c = parseConfig(undefined, {})
    expect(c.mqtt.port).toBe(1883)
    expect(c.http.port).toBe(8080)
    expect(c.dataDir).toBe('./data')
    expect(c.http.maxPayloadBytes).toBe(262144)
    expect(c.mqtt.allowAnonymous).toBe(false)
    expect(c.mqtt.noDelay).toBe(true)
  })
  it('lets the environment override the file', () => {
    const c = parseConfig(
      { mqtt: { port: 1000 }, http: { port: 2000 } },
      {
        POSTBRIDGE_MQTT_PORT: '1884',
        POSTBRIDGE_HTTP_PORT: '8081',
        POSTBRIDGE_HOST: '127.0.0.1',
        POSTBRIDGE_DATA_DIR: '/var/lib/pb',
        POSTBRIDGE_ADMIN_TOKEN: 'sixteen-chars-long',
      },
    )
    expect([c.mqtt.port, c.http.port, c.host, c.dataDir, c.adminToken]).toEqual([1884, 8081, '127.0.0.1', '/var/lib/pb', 'sixteen-chars-long'])
  })
  it('names an unknown key, nested or not', () => {
    expect(problems({ mqtt: { prot: 1 } })).toEqual(['unknown key "mqtt.prot"'])
    expect(problems({ colour: 'red' })).toEqual(['unknown key "colour"'])
  })
  it('reports every bad key at once', () => {
    const p = problems({ mqtt: { port: 70000 }, http: { requestTimeout: 'soon' } })
    expect(p).toHaveLength(2)
    expect(p.join('\n')).toMatch(/mqtt\.port/)
    expect(p.join('\n')).toMatch(/http\.requestTimeout: "soon" is not a duration/)
  })
  it('names a bad environment variable', () => {
    expect(problems({}, { POSTBRIDGE_MQTT_PORT: 'abc' })[0]).toMatch(/^POSTBRIDGE_MQTT_PORT: "abc"/)
  })
  it('refuses secrets in the file: adminToken is not a key', () => {
    expect(problems({ adminToken: 'x' })).toEqual(['unknown key "adminToken"'])
  })
  it('refuses a short admin token', () => {
    expect(problems({}, { POSTBRIDGE_ADMIN_TOKEN: 'short' })[0]).toMatch(/POSTBRIDGE_ADMIN_TOKEN/)
  })
  it('refuses a file that is not a mapping', () => {
    expect(problems(['a'])[0]).toMatch(/mapping/)
  })
  it('has MQTT 5 limits: 10 topic aliases, Receive Maximum 100, keep-alive capped at 60 s; and bounds them', () => {
    const c = parseConfig(undefined, {})
    expect([c.mqtt.topicAliasMaximum, c.mqtt.receiveMaximum, c.mqtt.maxKeepAlive]).toEqual([10, 100, 60])
    expect(problems({ mqtt: { receiveMaximum: 0, topicAliasMaximum: 70000, maxKeepAlive: -1 } })).toHaveLength(3)
  })
  it('validates MQTT user ACL filters', () => {
    expect(problems({ mqtt: { users: [{ username: 'a', passwordHash: 'pbkdf2-sha256$1$a$b', publish: ['a/#/b'] }] } })[0]).toMatch(
      /mqtt\.users\.0\.publish\.0/,
    )
  })
})

describe('the broker hardening keys (issue 8)', () => {
  it('has Raspberry Pi defaults', () => {
    const c = parseConfig(undefined, {})
    expect(c.mqtt.maxConnectBytes).toBe(16384)
    expect(c.mqtt.websocketPaths).toEqual(['/mqtt', '/'])
    expect(c.mqtt.loginThrottle).toEqual({ backoffAfter: 5, refuseAfter: 20, window: 900_000, maxPending: 64 })
    expect([c.mqtt.maxStoredPerSession, c.mqtt.maxStoredBytesPerSession]).toEqual([1000, 16 * 1024 * 1024])
  })
  it('takes the stored queue caps', () => {
    const c = parseConfig({ mqtt: { maxStoredPerSession: 50, maxStoredBytesPerSession: 65536 } }, {})
    expect([c.mqtt.maxStoredPerSession, c.mqtt.maxStoredBytesPerSession]).toEqual([50, 65536])
  })
  it.each([
    [{ maxConnectBytes: 10 }, /^mqtt\.maxConnectBytes: /],
    [{ maxConnectBytes: 'big' }, /^mqtt\.maxConnectBytes: /],
    [{ maxStoredPerSession: 0 }, /^mqtt\.maxStoredPerSession: /],
    [{ maxStoredPerSession: 1.5 }, /^mqtt\.maxStoredPerSession: /],
    [{ maxStoredBytesPerSession: -1 }, /^mqtt\.maxStoredBytesPerSession: /],
    [{ maxStoredBytesPerSession: '16MiB' }, /^mqtt\.maxStoredBytesPerSession: /],
    [{ websocketPaths: ['mqtt'] }, /^mqtt\.websocketPaths\.0: must start with \/ and hold no query$/],
    [{ websocketPaths: '/mqtt' }, /^mqtt\.websocketPaths: /],
    [{ loginThrottle: { backoffAfter: 0 } }, /^mqtt\.loginThrottle\.backoffAfter: /],
    [{ loginThrottle: { backoffAfter: 5, refuseAfter: 5 } }, /^mqtt\.loginThrottle\.refuseAfter: refuseAfter must be greater than backoffAfter$/],
    [{ loginThrottle: { window: 'soon' } }, /^mqtt\.loginThrottle\.window: "soon" is not a duration/],
    [{ loginThrottle: { maxPending: 0 } }, /^mqtt\.loginThrottle\.maxPending: /],
  ])('names the key of a bad value: %j', (mqtt, message) => {
    const p = problems({ mqtt })
    expect(p).toHaveLength(1)
    expect(p[0]).toMatch(message)
    expect(p[0]).not.toContain('\n')
  })
})

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    [1000, 1000],
  ])('%s is %d ms', (v, ms) => expect(parseDuration(v)).toBe(ms))
  it.each(['soon', '-5s', '5 parsecs', ''])('%j is not a duration', (v) => expect(parseDuration(v)).toBeUndefined())
})
