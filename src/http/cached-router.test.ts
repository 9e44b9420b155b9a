import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { CachedRouter, MAX_CACHED_PATH_CHARS } from './cached-router.js'

function routers() {
  const plain = new TrieRouter<string>()
  const cached = new CachedRouter(new TrieRouter<string>(), 4)
  for (const r of [plain, cached]) {
    r.add('ALL', '/v1/*', 'mw')
    r.add('POST', '/v1/publish/bulk', 'bulk')
    r.add('POST', '/v1/publish/:topic{.+}', 'raw')
    r.add('GET', '/v1/webhooks/:id', 'hook')
  }
  return { plain, cached }
}

describe('CachedRouter', () => {
  it('answers as the router it wraps, from memory the second time', () => {
    const { plain, cached } = routers()
    for (const [method, path] of [
      ['POST', '/v1/publish/bulk'],
      ['POST', '/v1/publish/a/b'],
      ['GET', '/v1/webhooks/x'],
      ['GET', '/v1/publish/a'],
      ['POST', '/nowhere'],
    ] as const) {
      const first = cached.match(method, path)
      expect(first).toEqual(plain.match(method, path))
      expect(cached.match(method, path)).toBe(first)
    }
  })

  it('keeps a bounded number of answers, and none for long paths', () => {
    const { cached } = routers()
    for (let i = 0; i < 50; i++) cached.match('POST', `/v1/publish/t/${i}`)
    expect(cached.size).toBe(4)
    cached.match('POST', `/v1/publish/${'x'.repeat(MAX_CACHED_PATH_CHARS)}`)
    expect(cached.size).toBe(4)
    expect(cached.match('POST', `/v1/publish/${'x'.repeat(MAX_CACHED_PATH_CHARS)}`)).toEqual(
      routers().plain.match('POST', `/v1/publish/${'x'.repeat(MAX_CACHED_PATH_CHARS)}`),
    )
  })

  it('forgets its answers when a route is added', () => {
    const cached = new CachedRouter(new TrieRouter<string>())
    cached.add('GET', '/a', 'a')
    expect(cached.match('GET', '/b')[0]).toEqual([])
    cached.add('GET', '/b', 'b')
    expect(cached.match('GET', '/b')[0].map(([h]) => h)).toEqual(['b'])
  })

  it('serves the API: each route still reaches its own handler', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/publish/bulk', { method: 'POST', body: '[]', headers: { 'content-type': 'application/json' } })).status).toBe(400)
    expect((await t.call('/v1/publish/a', { method: 'POST', body: 'x' })).status).toBe(200)
    expect((await t.call('/v1/publish/a', { method: 'POST', body: 'y' })).status).toBe(200)
    expect(t.bus.published.map((m) => m.topic)).toEqual(['a', 'a'])
    expect(t.app.router.name).toBe('CachedRouter(TrieRouter)')
  })

  it('wraps whatever router it is given', () => {
    const cached = new CachedRouter(new SmartRouter<string>({ routers: [new RegExpRouter(), new TrieRouter()] }))
    cached.add('GET', '/x/:id', 'x')
    expect(cached.match('GET', '/x/1')).toEqual(cached.match('GET', '/x/1'))
  })
})
