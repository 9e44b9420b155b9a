import { createServer, IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppBindings } from '../../src/routes/env.js'
import { ArrivedBodyMessage } from './arrived-body.js'
import { lazyRequestListener } from './lazy-request-listener.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** A server whose app answers with the request target and the arrived body it was handed, if any. */
async function start(incomingClass: typeof IncomingMessage): Promise<string> {
  const listener = lazyRequestListener(async (_request: Request, bindings: AppBindings) => {
    // As a route: the body is taken after some work of the app's own, once what came with the headers is in.
    await new Promise((resolve) => setImmediate(resolve))
    const held = bindings.arrivedBody?.rawBody
    return new Response(`${bindings.requestTarget} ${held ? new TextDecoder().decode(held) : 'none'}`)
  })
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
})
