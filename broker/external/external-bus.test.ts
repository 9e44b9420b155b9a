import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { RecordingLogger } from '../../src/testing/recording-logger.js'
import { mosquittoPub, mosquittoSub, type SubProcess } from '../../test/fixtures/mosquitto.js'
import { startMosquitto, type MosquittoBroker } from '../../test/fixtures/mosquitto-broker.js'
import { waitFor } from '../../test/fixtures/home.js'
import { describeBus } from '../../src/testing/bus-contract.js'
import { ExternalBus } from './external-bus.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup(): Promise<{ mosquitto: MosquittoBroker; bus: ExternalBus; log: RecordingLogger }> {
  const mosquitto = await startMosquitto()
  cleanups.push(() => mosquitto.stop())
  const log = new RecordingLogger()
  const bus = await ExternalBus.connect({ url: mosquitto.url, log })
  cleanups.push(() => bus.close())
  return { mosquitto, bus, log }
}

async function sub(port: number, filter: string): Promise<SubProcess> {
  const s = await mosquittoSub(port, filter, ['-V', 'mqttv5', '-q', '1', '-F', '%t %p %C %P'])
  cleanups.push(() => s.stop())
  return s
}

/** mosquitto_pub -n -r: an empty retained message, which clears the topic. */
function mosquittoClear(port: number, topic: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-n', '-r', '-q', '1'], { stdio: 'ignore' })
    child.on('exit', (code) => resolve(code))
  })
}

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe('the Bus over an external broker (Debian mosquitto, MQTT 5)', () => {
  it('publishes with the MQTT 5 properties kept, for mosquitto_sub to receive', async () => {
    const { mosquitto, bus } = await setup()
    const s = await sub(mosquitto.port, 'ext/#')
    await bus.publish({
      topic: 'ext/lamp',
      payload: bytes('{"on":true}'),
      qos: 1,
      retain: false,
      properties: { contentType: 'application/json', userProperties: { room: 'hall' } },
    })
    // -F: topic, payload, content type, user properties
    expect(await s.waitForLines(1)).toEqual(['ext/lamp {"on":true} application/json room:hall'])
  })

  it('hands what mosquitto_pub publishes to subscribers, retain true only to those asking for it as published', async () => {
    const { mosquitto, bus } = await setup()
    const plain: Message[] = []
    const asPublished: Message[] = []
    await bus.subscribe(['ext/+'], (m) => plain.push(m))
    await bus.subscribe(['ext/+'], (m) => asPublished.push(m), { retainAsPublished: true })
    expect((await mosquittoPub(mosquitto.port, 'ext/door', 'open', ['-r', '-q', '1', '-V', 'mqttv5'])).code).toBe(0)
    await waitFor(() => plain.length === 1 && asPublished.length === 1, 5000, 'both subscribers')
    expect([plain[0]!.topic, text(plain[0]!.payload), plain[0]!.retain]).toEqual(['ext/door', 'open', false])
    expect(asPublished[0]!.retain).toBe(true)
  })

  it('answers retained() from the broker retained state, and forgets a topic cleared with an empty retained message', async () => {
    const { mosquitto, bus } = await setup()
    await mosquittoPub(mosquitto.port, 'ext/a', '1', ['-r', '-q', '1'])
    await mosquittoPub(mosquitto.port, 'ext/b', '2', ['-r', '-q', '1'])
    await waitFor(async () => (await bus.retained('ext/#')).length === 2, 5000, 'retained a and b')
    expect(await mosquittoClear(mosquitto.port, 'ext/a')).toBe(0)
    await waitFor(async () => (await bus.retained('ext/#')).length === 1, 5000, 'a cleared')
    expect((await bus.retained('ext/#')).map((m) => text(m.payload))).toEqual(['2'])
    await bus.clearRetained('ext/b')
    expect(await bus.retained('ext/#')).toEqual([])
  })

  it('knows the retained messages that were there before it connected, without replaying them to subscribers', async () => {
    const mosquitto = await startMosquitto()
    cleanups.push(() => mosquitto.stop())
    await mosquittoPub(mosquitto.port, 'ext/old', 'kept', ['-r', '-q', '1'])
    const bus = await ExternalBus.connect({ url: mosquitto.url, log: new RecordingLogger() })
    cleanups.push(() => bus.close())
    const seen: Message[] = []
    await bus.subscribe(['#'], (m) => seen.push(m), { retainAsPublished: true })
    await waitFor(async () => (await bus.retained('ext/old')).length === 1, 5000, 'the old retained message')
    await bus.publish({ topic: 'ext/marker', payload: bytes('x'), qos: 1, retain: false })
    await waitFor(() => seen.length >= 1, 5000, 'the marker')
    expect(seen.map((m) => m.topic)).toEqual(['ext/marker'])
  })

  it('refuses a publish while the broker is away (the API answers 503), and carries on once it is back', async () => {
    const { mosquitto, bus } = await setup()
    await mosquitto.stop()
    await waitFor(() => !bus.status().connected, 5000, 'disconnected')
    await expect(bus.publish({ topic: 'ext/x', payload: bytes('x'), qos: 1, retain: false })).rejects.toThrow(/not connected/)
    const again = await startMosquitto({ port: mosquitto.port })
    cleanups.push(() => again.stop())
    await waitFor(() => bus.status().connected, 15_000, 'reconnected')
    const s = await sub(again.port, 'ext/x')
    await bus.publish({ topic: 'ext/x', payload: bytes('back'), qos: 1, retain: false })
    expect(await s.waitForLines(1)).toEqual(['ext/x back  '])
  })

  it('reflects its own retained publish in retained() as soon as the publish resolves', async () => {
    const { bus } = await setup()
    await bus.publish({ topic: 'ext/own', payload: bytes('mine'), qos: 1, retain: true })
    expect((await bus.retained('ext/own')).map((m) => text(m.payload))).toEqual(['mine'])
    await bus.clearRetained('ext/own')
    expect(await bus.retained('ext/own')).toEqual([])
  })

  it('rebuilds the retained view from the broker after a reconnect, forgetting topics the broker lost', async () => {
    const { mosquitto, bus } = await setup()
    await mosquittoPub(mosquitto.port, 'ext/before', 'old', ['-r', '-q', '1'])
    await waitFor(async () => (await bus.retained('ext/#')).length === 1, 5000, 'the first retained message')
    // mosquitto without persistence forgets its retained messages on restart.
    await mosquitto.stop()
    await waitFor(() => !bus.status().connected, 5000, 'disconnected')
    const again = await startMosquitto({ port: mosquitto.port })
    cleanups.push(() => again.stop())
    await mosquittoPub(again.port, 'ext/after', 'new', ['-r', '-q', '1'])
    await waitFor(() => bus.status().connected, 15_000, 'reconnected')
    await waitFor(async () => (await bus.retained('ext/#')).map((m) => m.topic).join() === 'ext/after', 5000, 'the rebuilt view')
  })

  it('fails to start with the broker address when nothing listens there', async () => {
    const mosquitto = await startMosquitto()
    await mosquitto.stop()
    await expect(ExternalBus.connect({ url: mosquitto.url, log: new RecordingLogger(), connectTimeoutMs: 2000 })).rejects.toThrow(
      new RegExp(`127.0.0.1:${mosquitto.port}`),
    )
  })
})

describeBus('MQTT client of Debian mosquitto (external broker)', async () => {
  const mosquitto = await startMosquitto()
  const bus = await ExternalBus.connect({ url: mosquitto.url, log: new RecordingLogger() })
  return {
    bus,
    deliversBeforeAck: false,
    close: async () => {
      await bus.close()
      await mosquitto.stop()
    },
  }
})
