import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { afterEach, describe, expect, it } from 'vitest'
import { ArrivedBodyMessage } from './arrived-body.js'

let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** A server that answers each request with what the adapter read of its body, and whether it was the arrived one. */
async function start(): Promise<{ port: number; ends: () => number }> {
  let ends = 0
  const listener = getRequestListener(async (request, env) => {
    const incoming = env.incoming as ArrivedBodyMessage
    incoming.on('end', () => ends++)
    // A route reads the body after some work of its own (the token check): by then what came with the headers is in.
    await new Promise((resolve) => setImmediate(resolve))
    const body = new TextDecoder().decode(await request.arrayBuffer())
    return new Response(`${incoming.rawBody === undefined ? 'stream' : 'arrived'}:${body}`)
  })
  server = createServer({ IncomingMessage: ArrivedBodyMessage, keepAliveTimeout: 5000 }, listener)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, ends: () => ends }
}

/** Writes `parts` one after another on one socket and collects the answers' bodies until `count` have come. */
function exchange(socket: Socket, parts: string[], count: number): Promise<string[]> {
  return new Promise((resolve) => {
    let text = ''
    socket.on('data', (d) => {
      text += String(d)
      const bodies = text
        .split('HTTP/1.1 ')
        .slice(1)
        .map((answer) => answer.split('\r\n\r\n')[1] ?? '')
      if (bodies.length === count && bodies.every((b) => /^(arrived|stream):./.test(b))) resolve(bodies)
    })
    let at = 0
    const next = () => {
      if (at < parts.length) socket.write(parts[at++]!, () => setTimeout(next, 50))
    }
    next()
  })
}

const post = (body: string, declared = body.length) => `POST /p HTTP/1.1\r\nhost: a\r\ncontent-length: ${declared}\r\n\r\n${body}`

describe('ArrivedBodyMessage', () => {
  it('hands over a body that came with its headers at once when the route reads it, and the request still ends so the connection is reused', async () => {
    const { port, ends } = await start()
    const socket = connect(port, '127.0.0.1')
    const bodies = await exchange(socket, [post('hello'), post('world')], 2)
    socket.destroy()
    expect(bodies).toEqual(['arrived:hello', 'arrived:world'])
    expect(ends()).toBe(2)
  })

  it('leaves a body still arriving to the stream, which reads all of it', async () => {
    const { port, ends } = await start()
    const socket = connect(port, '127.0.0.1')
    const whole = post('hello world')
    const bodies = await exchange(socket, [whole.slice(0, -6), whole.slice(-6)], 1)
    socket.destroy()
    expect(bodies).toEqual(['stream:hello world'])
    expect(ends()).toBe(1)
  })
})
