import type { Client, PublishPacket } from 'aedes'
import { describe, expect, it } from 'vitest'
import { RecordingLogger } from '../../../src/testing/recording-logger.js'
import { ANONYMOUS, principalForUser, type Principal } from '../acl.js'
import type { AedesInternals, BrokerPacket, Callback } from '../aedes-internals.js'
import { PostbridgeAedes, createAuthorizePublish } from './publish-flow.js'

class FakeBroker {
  readonly events: string[] = []
  failWith: Error | undefined
  publish(packet: BrokerPacket, _client: Client | null, done: Callback) {
    this.events.push(`publish ${packet.topic}`)
    setImmediate(() => done(this.failWith))
  }
}

function fakeClient(version: number) {
  const client = { id: 'dev-1', version, destroyed: false, conn: { destroy: () => (client.destroyed = true) } }
  return client
}

function clientPublish(topic: string, qos: 0 | 1 | 2): BrokerPacket {
  return { cmd: 'publish', topic, payload: Buffer.from('x'), qos, retain: false, dup: false, messageId: qos > 0 ? 7 : undefined } as BrokerPacket
}

function setup(principal: Principal) {
  const broker = new FakeBroker()
  const hook = createAuthorizePublish(
    () => broker as unknown as AedesInternals,
    () => principal,
    new RecordingLogger(),
  )
  const authorize = (client: ReturnType<typeof fakeClient> | null, packet: BrokerPacket) =>
    new Promise<Error | null | undefined>((resolve) => {
      hook(client as unknown as Client, packet, (err) => {
        broker.events.push('callback')
        resolve(err)
      })
    })
  return { broker, authorize }
}

describe('client PUBLISH flow', () => {
  it("publishes a QoS 1 message before aedes may send PUBACK, and makes aedes' own publish a no-op [MQTT-4.3.2-2]", async () => {
    const { broker, authorize } = setup(ANONYMOUS)
    const packet = clientPublish('a/b', 1)
    expect(await authorize(fakeClient(4), packet)).toBeNull()
    expect(broker.events).toEqual(['publish a/b', 'callback'])

    const aedes = new PostbridgeAedes({})
    const done = await new Promise<unknown>((resolve) => aedes.publish(packet as PublishPacket, fakeClient(4) as unknown as Client, resolve))
    expect(done).toBeUndefined()
    expect(aedes.messagesIn).toBe(0)
  })

  it('leaves QoS 0 and QoS 2 publishes to aedes', async () => {
    const { broker, authorize } = setup(ANONYMOUS)
    await authorize(fakeClient(5), clientPublish('q0', 0))
    await authorize(fakeClient(5), clientPublish('q2', 2))
    expect(broker.events).toEqual(['callback', 'callback'])
  })

  it('drops the connection without acknowledging when storing a QoS 1 message fails', async () => {
    const { broker, authorize } = setup(ANONYMOUS)
    broker.failWith = new Error('disk full')
    const client = fakeClient(5)
    expect(await authorize(client, clientPublish('a', 1))).toBe(broker.failWith)
    expect(client.destroyed).toBe(true)
  })

  it('lets a denied 3.1.1 publish be acknowledged and dropped, and refuses a denied MQTT 5 one [MQTT-3.3.5-2]', async () => {
    const alice = principalForUser({ username: 'alice', passwordHash: '', publish: ['alice/#'], subscribe: [] }, 'dev-1')
    const { broker, authorize } = setup(alice)
    const v4Packet = clientPublish('bob/x', 1)
    expect(await authorize(fakeClient(4), v4Packet)).toBeNull()
    const aedes = new PostbridgeAedes({})
    await new Promise((resolve) => aedes.publish(v4Packet as PublishPacket, null, resolve))
    expect(aedes.messagesIn).toBe(0)
    expect(await authorize(fakeClient(5), clientPublish('bob/x', 1))).toBeInstanceOf(Error)
    expect(broker.events).toEqual(['callback', 'callback'])
  })

  it('lets wills of earlier sessions through, except to $ topics', async () => {
    const { authorize } = setup(ANONYMOUS)
    const will = { topic: 'status/x', payload: Buffer.from('gone'), qos: 1, retain: true } as BrokerPacket
    expect(await authorize(null, will)).toBeNull()
    expect(await authorize(null, { ...will, topic: '$SYS/x' })).toBeInstanceOf(Error)
  })
})
