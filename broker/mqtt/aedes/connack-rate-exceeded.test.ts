/** aedes cannot answer CONNACK 0x9F from its authenticate hook; Postbridge writes it (issue 8). */
import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness } from '../fixtures/harness.js'
import { connect5, props, rawClient } from '../fixtures/raw.js'
import { refuseRateExceeded } from './connack-rate-exceeded.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** A stock aedes on 127.0.0.1 with the given authenticate hook; resolves with its port. */
async function stockAedes(authenticate: NonNullable<ConstructorParameters<typeof Aedes>[0]>['authenticate']): Promise<number> {
  const broker = await Aedes.createBroker({ authenticate })
  const server = createServer(broker.handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.onCleanup(() => new Promise<void>((r) => broker.close(() => r())))
  h.onCleanup(() => new Promise((r) => server.close(r)))
  return (server.address() as { port: number }).port
}

async function connackCode(port: number): Promise<number> {
  const raw = await rawClient(port, (fn) => h.onCleanup(fn))
  raw.send(connect5('rate', props(), 'u', 'p'))
  await raw.closed
  return raw.received()[3]!
}

describe('CONNACK 0x9F', () => {
  it('is out of reach of stock aedes: an authenticate error with return code 6 becomes 0x87 (the defect this corrects)', async () => {
    const port = await stockAedes((_client, _u, _p, done) => done(Object.assign(new Error('slow down'), { returnCode: 6 }), false))
    expect(await connackCode(port)).toBe(0x87)
  })

  it('reaches an MQTT 5 client with refuseRateExceeded, and aedes writes nothing after it [MQTT 5 3.2.2.2]', async () => {
    const port = await stockAedes((client, _u, _p, done) => refuseRateExceeded(client, 'slow down', done))
    const raw = await rawClient(port, (fn) => h.onCleanup(fn))
    raw.send(connect5('rate', props(), 'u', 'p'))
    await raw.closed
    expect([...raw.received()]).toEqual([0x20, 0x03, 0x00, 0x9f, 0x00])
  })
})
