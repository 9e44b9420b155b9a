import { afterEach, describe, expect, it } from 'vitest'
import { Harness, sleep } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

describe('Server Keep Alive (mqtt.maxKeepAlive)', () => {
  for (const keepalive of [0, 60]) {
    it(`answers an MQTT 5 keep-alive of ${keepalive} with the cap in CONNACK and holds the client to it [MQTT-3.1.2-21] [MQTT-3.2.2-21]`, async () => {
      const broker = await h.broker({ allowAnonymous: true, mqtt5: { maxKeepAliveSeconds: 1 } })
      const raw = await rawClient(broker.tcpPort, { keepalive })
      h.onCleanup(() => raw.end())
      expect((await raw.next('connack')).properties?.serverKeepAlive).toBe(1)
      // Silent past one and a half times the server's keep-alive: the server closes the connection.
      await raw.closed(10_000)
    })
  }

  it('leaves a keep-alive within the cap alone (no Server Keep Alive) [MQTT-3.2.2-21]', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { maxKeepAliveSeconds: 120 } })
    const raw = await rawClient(broker.tcpPort, { keepalive: 30 })
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.serverKeepAlive).toBeUndefined()
  })

  it('caps at 60 s by default: a keep-alive of 120 gets 60, one of 60 nothing [MQTT-3.2.2-21]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const raw = await rawClient(broker.tcpPort, { keepalive: 120 })
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.serverKeepAlive).toBe(60)
    const usual = await rawClient(broker.tcpPort, { keepalive: 60 })
    h.onCleanup(() => usual.end())
    expect((await usual.next('connack')).properties?.serverKeepAlive).toBeUndefined()
  })

  it('sends none when the cap is 0', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { maxKeepAliveSeconds: 0 } })
    const raw = await rawClient(broker.tcpPort, { keepalive: 0 })
    h.onCleanup(() => raw.end())
    expect((await raw.next('connack')).properties?.serverKeepAlive).toBeUndefined()
  })

  it('keeps an mqtt.js v5 client that follows the Server Keep Alive connected [MQTT-3.1.2-21]', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { maxKeepAliveSeconds: 1 } })
    const client = await h.client(broker.tcpPort, { protocolVersion: 5, keepalive: 60 })
    let closed = false
    client.on('close', () => (closed = true))
    await sleep(3000)
    expect(closed).toBe(false)
  })

  it('accepts an MQTT 3.1.1 client above the cap with its own keep-alive (3.1.1 has no Server Keep Alive) [MQTT-3.1.2-24]', async () => {
    const broker = await h.broker({ allowAnonymous: true, mqtt5: { maxKeepAliveSeconds: 1 } })
    for (const keepalive of [0, 60]) {
      const raw = await rawClient(broker.tcpPort, { protocolVersion: 4, keepalive })
      h.onCleanup(() => raw.end())
      expect(await raw.next('connack')).toMatchObject({ returnCode: 0 })
    }
  })
})
