import { createServer, IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppBindings } from '../../src/routes/env.js'
import { ArrivedBodyMessage } from './arrived-body.js'
import { type AppFetch, lazyRequestListener } from './lazy-request-listener.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** The app: answers with the request target and the arrived body it was handed, if any. */
const echo: AppFetch = async (_request: Request, bindings: AppBindings) => {
  // As a route: the body is taken after some work of the app's own, once what came with the headers is in.
  await new Promise((resolve) => setImmediate(resolve))
  const held = bindings.arrivedBody?.rawBody
  return new Response(`${bindings.requestTarget} ${held ? new TextDecoder().decode(held) : 'none'}`)
}

/** A server whose app is built by `loadApp`, by default the echo app. */
async function start(
  incomingClass: typeof IncomingMessage,
  loadApp: () => Promise<AppFetch> = async () => echo,
  onLoadError?: (err: unknown) => void,
): Promise<string> {
  const listener = lazyRequestListener(loadApp, onLoadError)
  server = createServer({ IncomingMessage: incomingClass }, listener)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('lazyRequestListener', () => {
  it('hands the app the request target and the body that arrived with the headers', async () => {
    const url = await start(ArrivedBodyMessage)
    const res = await fetch(`${url}/v1/publish/a/b?qos=0`, { method: 'POST', body: 'hello' })
    expect(await res.text()).toBe('/v1/publish/a/b?qos=0 hello')
  })
  it('hands no arrived body when the server does not make its requests ArrivedBodyMessages', async () => {
    const url = await start(IncomingMessage)
    const res = await fetch(`${url}/p`, { method: 'POST', body: 'hello' })
    expect(await res.text()).toBe('/p none')
  })

  it('builds the app once, with the first request, also when requests come while it is built', async () => {
    let builds = 0
    const url = await start(ArrivedBodyMessage, async () => {
      builds++
      await new Promise((resolve) => setTimeout(resolve, 50))
      return echo
    })
    expect(builds).toBe(0)
    const answers = await Promise.all([1, 2, 3, 4].map(async (i) => (await fetch(`${url}/p${i}`)).text()))
    expect(answers).toEqual(['/p1 none', '/p2 none', '/p3 none', '/p4 none'])
    expect(await (await fetch(`${url}/p5`)).text()).toBe('/p5 none')
    expect(builds).toBe(1)
  })

  it('answers 500 and says why once when the app cannot be built, and the server goes on', async () => {
    const errors: unknown[] = []
    const url = await start(
      IncomingMessage,
      async () => {
        throw new Error('no app')
      },
      (err) => errors.push(err),
    )
    expect((await fetch(`${url}/a`)).status).toBe(500)
    expect((await fetch(`${url}/b`)).status).toBe(500)
    expect(errors.map(String)).toEqual(['Error: no app'])
  })
})
