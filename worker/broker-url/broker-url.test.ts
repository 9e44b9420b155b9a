import { describe, expect, it } from 'vitest'
import type { TokenRecord } from '../../src/ports/types.js'
import type { TokenStore } from '../../src/ports/token-store.js'
import { sha256Hex } from '../../src/util/bytes.js'
import { BrokerUrlBus } from './broker-url-bus.js'
import { createBrokerUrlApp } from './broker-url-hub.js'
import { ConfigError } from '../../src/config.js'
import { hasBrokerUrl, parseBrokerUrl, type BrokerUrlVars } from './broker-url.js'
import type { Env } from '../env.js'
import { consoleLogger } from '../log.js'
import { brokerTargetOrError } from '../settings.js'

/** The one problem of the ConfigError parseBrokerUrl throws for these vars. */
function refusal(vars: BrokerUrlVars): string {
  try {
    parseBrokerUrl(vars)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toHaveLength(1)
    return (err as ConfigError).problems[0]!
  }
  throw new Error('accepted')
}

describe('parseBrokerUrl', () => {
  it('takes mqtt:// with the default port 1883 and no TLS', () => {
    expect(parseBrokerUrl({ BROKER_URL: 'mqtt://broker.example' })).toEqual({
      hostname: 'broker.example',
      port: 1883,
      tls: false,
      shownUrl: 'mqtt://broker.example:1883',
    })
  })

  it('takes mqtts:// with the default port 8883 and TLS', () => {
    expect(parseBrokerUrl({ BROKER_URL: 'mqtts://broker.example' })).toMatchObject({ port: 8883, tls: true })
  })

  it('keeps an explicit port and takes a trailing slash', () => {
    expect(parseBrokerUrl({ BROKER_URL: ' mqtts://broker.example:8884/ ' })).toMatchObject({ hostname: 'broker.example', port: 8884, tls: true })
  })

  it('decodes a username and password in the URL and never shows them', () => {
    const target = parseBrokerUrl({ BROKER_URL: 'mqtts://house%40example:p%3Ass@broker.example:8883' })
    expect(target).toMatchObject({ username: 'house@example', password: 'p:ss', shownUrl: 'mqtts://broker.example:8883' })
  })

  it('takes the username and password from BROKER_USERNAME and BROKER_PASSWORD', () => {
    const target = parseBrokerUrl({ BROKER_URL: 'mqtt://127.0.0.1:1884', BROKER_USERNAME: 'house', BROKER_PASSWORD: 'secret' })
    expect(target).toMatchObject({ hostname: '127.0.0.1', port: 1884, username: 'house', password: 'secret' })
  })

  it('unwraps an IPv6 literal for connect()', () => {
    expect(parseBrokerUrl({ BROKER_URL: 'mqtt://[2001:db8::1]:1883' })).toMatchObject({ hostname: '2001:db8::1', port: 1883 })
  })

  it.each([
    ['', 'BROKER_URL is not set'],
    ['broker.example:1883', 'BROKER_URL: scheme "broker.example" is not supported (use mqtt:// or mqtts://)'],
    ['not a url', 'BROKER_URL: "not a url" is not a URL (use mqtt://host:1883 or mqtts://host:8883)'],
    ['ws://broker.example/mqtt', 'BROKER_URL: scheme "ws" is not supported (use mqtt:// or mqtts://)'],
    ['https://broker.example', 'BROKER_URL: scheme "https" is not supported (use mqtt:// or mqtts://)'],
    ['mqtt://broker.example:0', 'BROKER_URL: "mqtt://broker.example:0" has port 0'],
    ['mqtt://broker.example:70000', 'BROKER_URL: "mqtt://broker.example:70000" is not a URL (use mqtt://host:1883 or mqtts://host:8883)'],
    [
      'mqtt://broker.example/house',
      'BROKER_URL: "mqtt://broker.example/house" has a path, query or fragment; give only mqtt(s)://[user:password@]host[:port]',
    ],
    ['mqtt:///nohost', 'BROKER_URL: "mqtt:///nohost" has no host name'],
  ])('refuses %j with the ConfigError of the home config, naming BROKER_URL', (raw, problem) => {
    expect(refusal({ BROKER_URL: raw })).toBe(problem)
  })

  it('hides the credentials of a URL it refuses', () => {
    const problem = refusal({ BROKER_URL: 'mqtt://house:secret@broker.example:99999' })
    expect(problem).toContain('mqtt://***@broker.example:99999')
    expect(problem).not.toContain('secret')
  })

  it('refuses a username given both in the URL and in BROKER_USERNAME', () => {
    expect(refusal({ BROKER_URL: 'mqtt://a@broker.example', BROKER_USERNAME: 'b' })).toMatch(/^BROKER_URL .*BROKER_USERNAME/)
  })

  it('leaves the link mode on when BROKER_URL is unset or empty', () => {
    expect([hasBrokerUrl({}), hasBrokerUrl({ BROKER_URL: '' }), hasBrokerUrl({ BROKER_URL: 'mqtt://x' })]).toEqual([false, false, true])
  })
})

class NoTokens implements TokenStore {
  async create(_record: TokenRecord): Promise<void> {}
  async get(): Promise<TokenRecord | undefined> {
    return undefined
  }
  async list(): Promise<TokenRecord[]> {
    return []
  }
  async revoke(): Promise<boolean> {
    return false
  }
}

describe('the BROKER_URL app with a bad BROKER_URL', () => {
  const ADMIN = 'broker-url-test-admin-token-0123'
  async function badApp() {
    const bus = new BrokerUrlBus(brokerTargetOrError({ BROKER_URL: 'http://broker.example' } as Env), {
      log: consoleLogger,
      newId: () => crypto.randomUUID(),
    })
    await bus.start()
    return createBrokerUrlApp({
      bus,
      tokens: new NoTokens(),
      settings: { maxPayloadBytes: 1024 },
      log: consoleLogger,
      defer: () => {},
      adminHash: await sha256Hex(ADMIN),
    })
  }

  it('says what is wrong on /v1/health (503), naming the variable', async () => {
    const res = await (await badApp()).request('/v1/health', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(res.status).toBe(503)
    const body = (await res.json()) as { status: string; error: string; broker: { connected: boolean } }
    expect(body).toMatchObject({ status: 'down', mode: 'broker-url', broker: { connected: false } })
    expect(body.error).toBe('BROKER_URL: scheme "http" is not supported (use mqtt:// or mqtts://)')
  })

  it('answers a publish with a 503 problem naming BROKER_URL', async () => {
    const res = await (await badApp()).request('/v1/publish/house/lamp', {
      method: 'POST',
      body: 'on',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    const problem = (await res.json()) as { code: number; detail: string }
    expect(problem.code).toBe(50301)
    expect(problem.detail).toContain('BROKER_URL: scheme "http" is not supported')
  })
})
