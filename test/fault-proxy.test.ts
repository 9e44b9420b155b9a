/** The network-fault proxy the edge scenarios rely on: each mode does to a real TCP connection what it says. */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startFaultProxy, type FaultProxy } from './fixtures/fault-proxy.js'

let echo: Server | undefined
let proxy: FaultProxy | undefined
const sockets: Socket[] = []
const serverSide: Socket[] = []

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const s of serverSide.splice(0)) s.destroy()
  await proxy?.close()
  await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()))
  proxy = undefined
  echo = undefined
})

async function echoThroughProxy(): Promise<{ client: Socket; received: () => string; closed: Promise<string> }> {
  echo = createServer((s) => {
    serverSide.push(s)
    s.on('error', () => {})
    s.pipe(s)
  })
  await new Promise<void>((resolve) => echo!.listen(0, '127.0.0.1', resolve))
  proxy = await startFaultProxy((echo.address() as { port: number }).port)
  const client = connect({ host: '127.0.0.1', port: proxy.port })
  sockets.push(client)
  let text = ''
  client.on('data', (d: Buffer) => (text += d.toString()))
  const closed = new Promise<string>((resolve) => {
    client.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    client.on('close', () => resolve('close'))
  })
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  return { client, received: () => text, closed }
}

const until = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met')
    await new Promise((r) => setTimeout(r, 10))
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the fault proxy', () => {
  it('passes bytes both ways in pass mode', async () => {
    const { client, received } = await echoThroughProxy()
    client.write('hello')
    await until(() => received() === 'hello')
  })

  it('holds each chunk for the delay and keeps their order', async () => {
    const { client, received } = await echoThroughProxy()
    proxy!.set({ kind: 'delay', delayMs: 300 })
    const start = Date.now()
    client.write('a')
    await sleep(20)
    client.write('b')
    await until(() => received() === 'ab')
    // Two hops (there and back), each delayed.
    expect(Date.now() - start).toBeGreaterThanOrEqual(550)
  })

  it('drops every byte in blackhole mode yet keeps the connection open, and a closed side stays unheard', async () => {
    const { client, received, closed } = await echoThroughProxy()
    proxy!.set({ kind: 'blackhole' })
    client.write('lost')
    await sleep(300)
    expect(received()).toBe('')
    expect(client.destroyed).toBe(false)
    // The client gives up: the server's side of the proxy hears nothing of it (half-open).
    client.destroy()
    await closed
    await sleep(200)
    expect(serverSide[0]!.destroyed).toBe(false)
    expect(proxy!.open).toBe(1)
  })

  it('passes bytes again on a new connection after the blackhole lifts', async () => {
    const first = await echoThroughProxy()
    proxy!.set({ kind: 'blackhole' })
    first.client.write('x')
    proxy!.set({ kind: 'pass' })
    const second = connect({ host: '127.0.0.1', port: proxy!.port })
    sockets.push(second)
    let text = ''
    second.on('data', (d: Buffer) => (text += d.toString()))
    second.write('back')
    await until(() => text === 'back')
    expect(proxy!.accepted).toBe(2)
  })

  it('resets open connections: the client sees ECONNRESET', async () => {
    const { closed } = await echoThroughProxy()
    proxy!.reset()
    expect(await closed).toBe('ECONNRESET')
  })
})
