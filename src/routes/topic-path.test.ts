import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { dotLevelTopic, pathnameOf } from './topic-path.js'

describe('pathnameOf', () => {
  it.each([
    'http://localhost/v1/publish/home/relay/1/set',
    'http://127.0.0.1:8080/v1/publish/a?qos=0',
    'https://example.com/v1/publish/a#frag',
    'http://h/v1/publish/a/%2e%2e/b',
    'http://h/v1/publish/a/%2E./b',
    'http://h/v1/publish/a/.%2e',
    'http://h/v1/publish/a/./b',
    'http://h/v1/publish/a/../../x',
    'http://h/v1/publish/a/.../b',
    'http://h/v1/publish/a/.b/c.',
    'http://h/v1/publish/a\\b',
    'http://h/v1/publish/a b',
    'http://h/v1/publish/a\tb',
    'http://h/v1/publish/a{b}^`|"<>',
    'http://h/v1/publish/caf\u00e9/\u{1f600}',
    'http://h/v1/publish/caf%C3%A9/a%2Fb/%ff',
    "http://h/v1/publish/a!$&'()*+,;=:@[]~_-",
    'http://h/v1/publish//double//slash/',
    'http://h/v1/publish/a?b#c?d',
    'http://h/v1/publish/a#b?c',
    'http://h',
    'http://h?x=1',
  ])('is the URL parser pathname of %s', (url) => {
    expect(pathnameOf(url)).toBe(new URL(url).pathname)
  })
})

describe('dotLevelTopic', () => {
  it.each([
    ['/v1/publish/a/%2e%2e/b', 'a/../b'],
    ['/v1/publish/a/%2E%2e/b?qos=0', 'a/../b'],
    ['/v1/publish/a/../b', 'a/../b'],
    ['/v1/publish/a/.%2e/b', 'a/../b'],
    ['/v1/publish/a/%2e./b', 'a/../b'],
    ['/v1/publish/a/./b', 'a/./b'],
    ['/v1/publish/a/%2e/b', 'a/./b'],
    ['/v1/publish/..', '..'],
    ['/v1/publish/../../x', '../../x'],
    ['/v1/publish/a/b/.', 'a/b/.'],
    ['/v1/publish/bulk/..', 'bulk/..'],
    ['/v1/request/dev/%2e%2e/cmd', 'dev/../cmd'],
    ['/v1/retained/caf%C3%A9/..', 'café/..'],
    ['/v1/p%75blish/a/../b', 'a/../b'],
    ['http://host:8080/v1/publish/a/../b?x=/./', 'a/../b'],
    ['/v1/publish/%ff/..', '%ff/..'],
  ])('finds the dot level in %s: topic "%s"', (target, topic) => {
    expect(dotLevelTopic(target)).toBe(topic)
  })

  it.each([
    '/v1/publish/a/b',
    '/v1/publish/a.b/c.',
    '/v1/publish/.hidden/x',
    '/v1/publish/a/.../b',
    '/v1/publish/a/%2e%2e%2e',
    '/v1/publish/a%2F..%2Fb',
    '/v1/publish/a?filter=/../',
    '/v1/publish/a#/../',
    '/v1/webhooks/../tokens',
    '/docs/../v1/health',
    '/v1/../v1/publish/a',
    '/v1/publish',
    'http://h/v1/x/../publish/a',
  ])('finds no topic dot level in %s', (target) => {
    expect(dotLevelTopic(target)).toBeUndefined()
  })
})

describe('a topic route whose path held a dot level, as the client wrote it', () => {
  // app.request puts the path through the URL parser as a runtime does; requestTarget is what Node also hands the app.
  const send = async (t: Awaited<ReturnType<typeof createTestApp>>, method: string, target: string, token: string | null = t.admin) =>
    t.app.request(
      target,
      { method, ...(method === 'POST' ? { body: 'x' } : {}), headers: token ? { authorization: `Bearer ${token}` } : {} },
      { requestTarget: target },
    )

  it.each([
    ['POST', '/v1/publish/a/%2e%2e/b?retain=true', 'a/../b'],
    ['POST', '/v1/publish/a/./b', 'a/./b'],
    ['POST', '/v1/publish/../x', '../x'],
    ['POST', '/v1/publish/a/..', 'a/..'],
    ['POST', '/v1/request/dev/%2E%2E/b?timeout=50', 'dev/../b'],
    ['GET', '/v1/retained/a/%2e%2e/b', 'a/../b'],
    ['DELETE', '/v1/retained/a/%2e%2e/b', 'a/../b'],
    ['DELETE', '/v1/retained/x/../../../v1/tokens', 'x/../../../v1/tokens'],
  ])('%s %s: 400 problem naming "%s", and nothing changes', async (method, target, topic) => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'b', payload: new Uint8Array([1]), qos: 0, retain: true })
    const res = await send(t, method, target)
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await res.json()) as { code: number; detail: string }
    expect(problem.code).toBe(40002)
    expect(problem.detail).toContain(`topic "${topic}"`)
    expect(t.bus.published).toHaveLength(1)
    expect(await t.bus.retained('b')).toHaveLength(1)
  })

  it('asks for the token first where the path resolves under /v1', async () => {
    const t = await createTestApp()
    expect((await send(t, 'POST', '/v1/publish/a/%2e%2e/b', null)).status).toBe(401)
  })

  it('publishes a topic whose levels only look like dots', async () => {
    const t = await createTestApp()
    expect((await send(t, 'POST', '/v1/publish/a/.../b.c/.d', t.admin)).status).toBe(200)
    expect(t.bus.published[0]?.topic).toBe('a/.../b.c/.d')
  })
})
