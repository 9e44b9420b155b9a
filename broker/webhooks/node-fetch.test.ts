import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { deliverOnce } from '../../src/webhooks/deliver.js'
import { createNodeFetch } from './node-fetch.js'

const servers: Server[] = []
const http = createNodeFetch()
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

const post = (url: string, timeoutMs = 2000) =>
  deliverOnce(http.fetch, { url, headers: { 'x-extra': 'yes', 'webhook-id': 'msg_1' }, body: '{"é":1}', timeoutMs }, Date.now)

describe('node:http fetch for webhook delivery', () => {
  it('POSTs the body and headers and reads the status', async () => {
    let seen: { method?: string; headers?: Record<string, unknown>; body?: string } = {}
    const url = await serve((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen = { method: req.method, headers: req.headers, body }
        res.writeHead(202).end('accepted')
      })
    })
    expect(await post(url)).toMatchObject({ ok: true, status: 202 })
    expect(seen.method).toBe('POST')
    expect(seen.body).toBe('{"é":1}')
    expect(seen.headers).toMatchObject({ 'content-type': 'application/json', 'x-extra': 'yes', 'webhook-id': 'msg_1', 'content-length': '8' })
  })

  it('sends extra headers named like Object.prototype members, as any other', async () => {
    let raw: string[] = []
    const url = await serve((req, res) => {
      raw = req.rawHeaders
      res.writeHead(204).end()
    })
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'x-plain']
    // As the store gives them back: JSON.parse, where each name is an own key.
    const headers = JSON.parse(JSON.stringify(Object.fromEntries(names.map((n) => [n, `${n}-value`])))) as Record<string, string>
    expect(await deliverOnce(http.fetch, { url, headers, body: '{}', timeoutMs: 2000 }, Date.now)).toMatchObject({ ok: true, status: 204 })
    const sent = Object.fromEntries(raw.flatMap((v, i) => (i % 2 === 0 ? [[v.toLowerCase(), raw[i + 1]]] : [])))
    for (const n of names) expect([n, sent[n.toLowerCase()]]).toEqual([n, `${n}-value`])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('passes on Retry-After and 410', async () => {
    const busy = await serve((_req, res) => res.writeHead(503, { 'retry-after': '7' }).end())
    expect(await post(busy)).toMatchObject({ ok: false, status: 503, retryInMs: 7000 })
    const gone = await serve((_req, res) => res.writeHead(410).end())
    expect(await post(gone)).toMatchObject({ ok: false, status: 410, gone: true })
  })

  it('reports a refused connection as undici does', async () => {
    const url = await serve(() => {})
    await new Promise((r) => servers.pop()!.close(r))
    const result = await post(url)
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/^ECONNREFUSED/)
  })

  it('times out a receiver that never answers, and one that stalls its body', async () => {
    const silent = await serve(() => {})
    expect(await post(silent, 100)).toMatchObject({ ok: false, error: 'timeout after 100 ms' })
    const stalling = await serve((_req, res) => {
      res.writeHead(200)
      res.write('partial')
    })
    expect(await post(stalling, 100)).toMatchObject({ ok: false, error: 'timeout after 100 ms' })
  })

  it('does not follow a redirect', async () => {
    let hits = 0
    const url = await serve((_req, res) => {
      hits++
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    expect(await post(url)).toMatchObject({ ok: false, status: 302 })
    expect(hits).toBe(1)
  })

  it('reads a large response only as far as needed', async () => {
    const url = await serve((_req, res) => res.writeHead(200).end('x'.repeat(1024 * 1024)))
    expect(await post(url)).toMatchObject({ ok: true, status: 200 })
  })
})
