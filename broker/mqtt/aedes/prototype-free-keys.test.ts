/** Client ids and topic filters that name members of Object.prototype are only names (prototype-free-keys.ts). */
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, nextMessage } from '../fixtures/harness.js'
import { connect4, packet, rawClient, str } from '../fixtures/raw.js'
import { stockAedesProcess } from '../fixtures/stock-aedes.js'

const h = new Harness()
afterEach(() => h.cleanup())

const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const

describe('stock aedes 2.0.0-beta.1', () => {
  it('ends the whole process on a CONNECT with client id "constructor" (the defect this corrects)', async () => {
    const stock = await stockAedesProcess(h)
    const raw = await rawClient(stock.port, (fn) => h.onCleanup(fn))
    raw.send(connect4('constructor'))
    expect(await stock.exited).not.toBe(0)
    expect(stock.stderr()).toMatch(/disconnect is not a function/)
  })

  it('ends the whole process on an UNSUBSCRIBE from "toString" it never subscribed to', async () => {
    const stock = await stockAedesProcess(h)
    const raw = await rawClient(stock.port, (fn) => h.onCleanup(fn))
    raw.send(connect4('dev'))
    await raw.waitBytes(4)
    raw.send(packet(0xa2, [0, 1, ...str('toString')]))
    expect(await stock.exited).not.toBe(0)
  })
})

describe('client ids and topic filters named like members of Object.prototype', () => {
  for (const version of [4, 5] as const) {
    it(`connect, take over a session, subscribe, receive and unsubscribe like any other (v${version})`, async () => {
      const broker = await h.broker()
      const publisher = await h.client(broker.tcpPort, { protocolVersion: version, clientId: 'publisher' })
      // A session that outlives its connection, in either version.
      const session = (clientId: string) =>
        version === 5
          ? { protocolVersion: 5 as const, clientId, clean: false, properties: { sessionExpiryInterval: 60 } }
          : { protocolVersion: 4 as const, clientId, clean: false }
      for (const name of NAMES) {
        const first = await h.client(broker.tcpPort, session(name))
        // Nothing to unsubscribe from yet: 0x11 No subscription existed (v5), an UNSUBACK all the same (v4).
        const none = await first.unsubscribeAsync(name)
        if (version === 5) expect((none as { granted?: number[] } | undefined)?.granted).toEqual([0x11])
        await first.subscribeAsync(name, { qos: 1 })
        // A second connection with the same client id takes the session over.
        const second = await h.client(broker.tcpPort, session(name))
        const got = nextMessage(second, name)
        await publisher.publishAsync(name, `to ${name}`, { qos: 1 })
        expect((await got).payload).toBe(`to ${name}`)
        const done = await second.unsubscribeAsync(name)
        if (version === 5) expect((done as { granted?: number[] } | undefined)?.granted).toEqual([0x00])
        await second.endAsync()
      }
      // Still serving.
      const check = await h.client(broker.tcpPort, { protocolVersion: version })
      await check.subscribeAsync('still/here', { qos: 1 })
      const got = nextMessage(check, 'still/here')
      await publisher.publishAsync('still/here', 'yes', { qos: 1 })
      expect((await got).payload).toBe('yes')
    })
  }
})
