import { createServer, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { OpenResponses } from './open-responses.js'

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

/** A server that tracks every response and holds each one until `answer` is called. */
async function start() {
  const open = new OpenResponses()
  const held: ServerResponse[] = []
  let arrived: (() => void) | undefined
  const server = createServer((_req, res) => {
    open.track(res)
    held.push(res)
    arrived?.()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  close = () => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
  const port = (server.address() as AddressInfo).port
  return {
    open,
    /** The server's end of the `i`th request. */
    held(i: number): ServerResponse {
      const res = held[i]
      if (!res) throw new Error(`no request ${i} yet`)
      return res
    },
    /** Sends a request and resolves once the server has it; `done` settles with the client's end of it. */
    async send() {
      const reached = new Promise<void>((resolve) => (arrived = resolve))
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/x', agent: false })
      const done = new Promise<string>((resolve) => {
        req.on('response', (res) => {
          res.resume()
          res.on('end', () => resolve('answered'))
        })
        req.on('error', () => resolve('failed'))
      })
      req.end('body')
      await reached
      return { req, done }
    },
  }
}

/** Resolves once `res` has emitted 'close' (the tracker's listener, added first, has run by then). */
const closed = (res: ServerResponse) => new Promise<void>((resolve) => (res.closed ? resolve() : res.on('close', () => resolve())))

describe('OpenResponses', () => {
  it('counts a response from its request until it is answered', async () => {
    const s = await start()
    const a = await s.send()
    const b = await s.send()
    expect(s.open.size).toBe(2)
    s.held(0).end('ok')
    expect(await a.done).toBe('answered')
    await closed(s.held(0))
    expect(s.open.size).toBe(1)
    s.held(1).end('ok')
    await closed(s.held(1))
    expect(await b.done).toBe('answered')
    expect(s.open.size).toBe(0)
  })

  it('stops counting a response whose client went away before the answer, once', async () => {
    const s = await start()
    const a = await s.send()
    a.req.destroy()
    expect(await a.done).toBe('failed')
    await closed(s.held(0))
    expect(s.open.size).toBe(0)
    // Answering the response of a closed connection closes nothing more.
    s.held(0).end('late')
    await new Promise((resolve) => setImmediate(resolve))
    expect(s.open.size).toBe(0)
  })
})
