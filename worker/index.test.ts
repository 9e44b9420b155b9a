import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { ADMIN } from './testing/test-home.js'

// Through the Worker entry: every request reaches the home's Durable Object (HOME_HUB_NAME).
describe('the Worker entry', () => {
  it('answers /v1/health with the link state', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/health', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'degraded', broker: { kind: 'link', connected: true }, link: { home: 'offline' } })
  })

  it('queues a publish while home is offline and reads it back retained', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/publish/home/relay/1/set?retain=true', {
      method: 'POST',
      body: 'ON',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ topic: 'home/relay/1/set', qos: 1, retain: true, bytes: 2, queued: true })
    const back = await exports.default.fetch('http://edge.test/v1/retained/home/relay/1/set', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(await back.text()).toBe('ON')
  })

  it('refuses a publish without a token with a problem+json 401', async () => {
    const res = await exports.default.fetch('http://edge.test/v1/publish/a', { method: 'POST', body: 'x' })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })

  it('keeps tokens minted at the edge in Durable Object storage', async () => {
    const created = await exports.default.fetch('http://edge.test/v1/tokens', {
      method: 'POST',
      body: JSON.stringify({ name: 'phone', publish: ['home/#'], read: ['home/#'] }),
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    })
    expect(created.status).toBe(201)
    const { token } = (await created.json()) as { token: string }
    const res = await exports.default.fetch('http://edge.test/v1/retained?filter=home/%23', { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(200)
  })

  it('serves the same OpenAPI document as the home node', async () => {
    const res = await exports.default.fetch('http://edge.test/openapi.yaml')
    expect(await res.text()).toContain('/v1/publish/{topic}')
  })
})
