import type { IClientOptions, MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, sleep, waitFor } from '../fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

function withWill(clientId: string, willDelayInterval: number, sessionExpiryInterval: number): IClientOptions {
  return {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval },
    will: { topic: `will/${clientId}`, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval } },
  }
}

/** The network connection drops without DISCONNECT: the will applies. */
function cutOff(client: MqttClient): void {
  client.stream.destroy()
}

describe('Will Delay Interval', () => {
  it('publishes the will once the delay has passed, not before [MQTT-3.1.3-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const device = await h.client(broker.tcpPort, withWill('wd-late', 2, 60))
    const will = nextMessage(watcher, 'will/wd-late', 15_000)
    const cut = Date.now()
    cutOff(device)
    await will
    expect(Date.now() - cut).toBeGreaterThanOrEqual(1900)
  })

  it('never publishes the will when the client reconnects within the delay [MQTT-3.1.3-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const got = collect(watcher)
    const options = withWill('wd-back', 2, 60)
    cutOff(await h.client(broker.tcpPort, options))
    await sleep(500)
    await h.client(broker.tcpPort, options)
    await sleep(3000) // past the delay
    expect(got).toEqual([])
  })

  it('publishes the will when the session ends, if that comes before the delay [MQTT-3.1.3-9] [MQTT-3.1.2-8]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const will = nextMessage(watcher, 'will/wd-expiry', 10_000)
    cutOff(await h.client(broker.tcpPort, withWill('wd-expiry', 3600, 1)))
    // Well before the hour of will delay: at the session's end, one second in.
    expect((await will).payload).toBe('gone')
  })

  it('publishes at once a will whose delay is 0 [MQTT-3.1.2-8]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const will = nextMessage(watcher, 'will/wd-now', 5000)
    cutOff(await h.client(broker.tcpPort, withWill('wd-now', 0, 60)))
    await will
  })

  it('publishes the will from mosquitto_sub -V mqttv5 with a will delay after the delay [MQTT-3.1.3-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const got = collect(watcher)
    // mosquitto_sub is killed (no DISCONNECT) when its time-out runs out.
    const run = h.mosquitto(
      'mosquitto_sub',
      [
        '-V',
        'mqttv5',
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.tcpPort),
        '-i',
        'wd-mosq',
        '-t',
        'none',
        '-x',
        '60',
        '--will-topic',
        'will/wd-mosq',
        '--will-payload',
        'gone',
        '-D',
        'will',
        'will-delay-interval',
        '2',
      ],
      1000,
    )
    await run
    const cut = Date.now()
    await waitFor(() => got.length > 0, 15_000, 'the will')
    expect(Date.now() - cut).toBeGreaterThanOrEqual(1000)
    expect(got.map((m) => m.topic)).toEqual(['will/wd-mosq'])
  })
})
