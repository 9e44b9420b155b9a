import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'

// The admin token comes from the vars in wrangler.toml's test environment (see vitest.config.ts).
const ADMIN = 'worker-test-admin-token-0123456789'

describe('the core inside workerd', () => {
  it('answers /v1/health', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok' })
  })

  it('publishes with POST /v1/publish/{topic} and reads it back retained', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/publish/home/relay/1/set?retain=true', {
      method: 'POST',
      body: 'ON',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ topic: 'home/relay/1/set', qos: 1, retain: true, bytes: 2 })
    const back = await exports.default.fetch('http://edge.test/v1/retained/home/relay/1/set', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(await back.text()).toBe('ON')
  })

  it('refuses a publish without a token with a problem+json 401', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/publish/a', { method: 'POST', body: 'x' })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})
