import { createServer } from 'node:net'
import { Aedes } from 'aedes'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import type { IClientOptions, MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttBroker } from '../broker.js'
import { Harness, nextMessage, sleep, waitFor } from '../fixtures/harness.js'
import { rawClient } from '../fixtures/raw-client.js'

const h = new Harness()
afterEach(() => h.cleanup())

const bytes = (s: string) => new TextEncoder().encode(s)

function session(clientId: string, sessionExpiryInterval: number): IClientOptions {
  return { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval } }
}

/** The stored subscriptions and queued messages of a client id (aedes-persistence-level 9.2.0 key layout). */
async function storedState(broker: MqttBroker, clientId: string): Promise<string[]> {
  const id = encodeURIComponent(clientId)
  const prefixes = [`subscriptions:${id}:`, `outgoing:${id}:`]
  const keys: string[] = []
  for await (const [key] of broker.storeEntries?.() ?? []) {
    const text = new TextDecoder().decode(key)
    if (prefixes.some((p) => text.startsWith(p))) keys.push(text.slice(0, text.indexOf(':')))
  }
  return keys.sort()
}

/** Connects and returns the client with its CONNACK's Session Present flag. */
async function resume(port: number, options: IClientOptions): Promise<{ client: MqttClient; sessionPresent: boolean }> {
  const client = h.unconnected(port, options)
  const connack = new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', resolve)
    client.once('error', reject)
  })
  client.connect()
  return { client, sessionPresent: (await connack).sessionPresent }
}

/** A persistent MQTT 5 subscriber to `cmd/<clientId>` that went away, with one QoS 1 message queued for it. */
async function awaySubscriber(broker: MqttBroker, clientId: string, interval: number): Promise<void> {
  const sub = await h.client(broker.tcpPort, session(clientId, interval))
  await sub.subscribeAsync(`cmd/${clientId}`, { qos: 1 })
  await sub.endAsync()
  await broker.bus.publish({ topic: `cmd/${clientId}`, payload: bytes('queued'), qos: 1, retain: false })
}

function expired(clientId: string): boolean {
  return h.log.lines.some((l) => l.msg === 'mqtt stored session expired' && (l.obj as { clientId?: string }).clientId === clientId)
}

describe('MQTT 5 session expiry across a restart', () => {
  it('ends at start a session whose interval ran out while the broker was down, with its subscriptions and queue', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awaySubscriber(broker, 'gone-1', 1)
    expect(await storedState(broker, 'gone-1')).toEqual(['outgoing', 'subscriptions'])
    await broker.close()
    await sleep(1100)

    broker = await h.broker({ dataDir })
    expect(await storedState(broker, 'gone-1')).toEqual([])
    const back = await resume(broker.tcpPort, session('gone-1', 60))
    expect(back.sessionPresent).toBe(false)
  })

  it('ends a session after the restart once the rest of its interval runs out', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awaySubscriber(broker, 'gone-2', 2)
    await broker.close()

    broker = await h.broker({ dataDir })
    await waitFor(() => expired('gone-2'), 10_000, 'the session to expire')
    expect(await storedState(broker, 'gone-2')).toEqual([])
    const back = await resume(broker.tcpPort, session('gone-2', 60))
    expect(back.sessionPresent).toBe(false)
  })

  it('counts from the stop for a client still connected when the broker stopped', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    const sub = await h.client(broker.tcpPort, session('connected-1', 1))
    await sub.subscribeAsync('cmd/connected-1', { qos: 1 })
    await broker.close()
    await sleep(1100)

    broker = await h.broker({ dataDir })
    expect(await storedState(broker, 'connected-1')).toEqual([])
    expect((await resume(broker.tcpPort, session('connected-1', 60))).sessionPresent).toBe(false)
  })

  it('keeps a session that never expires (0xFFFFFFFF) or has time left, with its queue, across restarts', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awaySubscriber(broker, 'never-1', 0xffffffff)
    await awaySubscriber(broker, 'hour-1', 3600)
    await broker.close()
    await sleep(1100)

    broker = await h.broker({ dataDir })
    await broker.close()
    broker = await h.broker({ dataDir })
    for (const [clientId, interval] of [
      ['never-1', 0xffffffff],
      ['hour-1', 3600],
    ] as const) {
      const client = h.unconnected(broker.tcpPort, session(clientId, interval))
      const got = nextMessage(client, `cmd/${clientId}`)
      const connack = new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve))
      client.connect()
      expect((await connack).sessionPresent).toBe(true)
      expect((await got).payload).toBe('queued')
    }
  })

  it('keeps the session of a client that came back after the restart before its interval ran out', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awaySubscriber(broker, 'back-1', 3)
    await broker.close()

    broker = await h.broker({ dataDir })
    const back = await resume(broker.tcpPort, session('back-1', 3600))
    expect(back.sessionPresent).toBe(true)
    await back.client.endAsync()
    // Past the interval the session had before it came back: the timer of the previous run is gone.
    await sleep(3500)
    expect(expired('back-1')).toBe(false)
    expect(await storedState(broker, 'back-1')).toContain('subscriptions')
  })
})

describe('mqtt.persistentSessionExpiry: sessions with no expiry of their own', () => {
  const v4 = (clientId: string): IClientOptions => ({ protocolVersion: 4, clientId, clean: false })

  /** A persistent MQTT 3.1.1 subscriber to `cmd/<clientId>` that went away, with one QoS 1 message queued for it. */
  async function awayV4(broker: MqttBroker, clientId: string): Promise<void> {
    const sub = await h.client(broker.tcpPort, v4(clientId))
    await sub.subscribeAsync(`cmd/${clientId}`, { qos: 1 })
    await sub.endAsync()
    await broker.bus.publish({ topic: `cmd/${clientId}`, payload: bytes('queued'), qos: 1, retain: false })
  }

  it('ends an MQTT 3.1.1 Clean Session 0 session, with its queue, once the configured expiry has passed', async () => {
    const broker = await h.broker({ persistentSessionExpirySeconds: 1 })
    await awayV4(broker, 'v4-gone')
    expect(await storedState(broker, 'v4-gone')).toEqual(['outgoing', 'subscriptions'])
    await waitFor(() => expired('v4-gone'), 10_000, 'the session to expire')
    expect(await storedState(broker, 'v4-gone')).toEqual([])
    expect((await resume(broker.tcpPort, v4('v4-gone'))).sessionPresent).toBe(false)
  })

  it('ends at start an MQTT 3.1.1 session whose configured expiry ran out while the broker was down', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    await awayV4(broker, 'v4-down')
    await broker.close()
    await sleep(1100)

    broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    expect(await storedState(broker, 'v4-down')).toEqual([])
  })

  it('gives a session stored without a record the configured expiry, counting from the start', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awayV4(broker, 'v4-older')
    await broker.close()

    broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    await waitFor(() => expired('v4-older'), 10_000, 'the session to expire')
    expect(await storedState(broker, 'v4-older')).toEqual([])
  })

  it('keeps an MQTT 3.1.1 session for ever without the setting, and once the setting is removed', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    await awayV4(broker, 'v4-kept')
    broker = await (async () => {
      await broker.close()
      const configured = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
      await awayV4(configured, 'v4-unset')
      await configured.close()
      return h.broker({ dataDir })
    })()
    await sleep(1500)
    for (const clientId of ['v4-kept', 'v4-unset']) {
      const client = h.unconnected(broker.tcpPort, v4(clientId))
      const got = nextMessage(client, `cmd/${clientId}`)
      const connack = new Promise<{ sessionPresent: boolean }>((resolve) => client.once('connect', resolve))
      client.connect()
      expect((await connack).sessionPresent).toBe(true)
      expect((await got).payload).toBe('queued')
    }
  })

  it('keeps an MQTT 5 session that asked never to expire (0xFFFFFFFF) with the setting on', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    await awaySubscriber(broker, 'never-2', 0xffffffff)
    await broker.close()
    await sleep(1100)

    broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    await sleep(1500)
    expect(expired('never-2')).toBe(false)
    expect((await resume(broker.tcpPort, session('never-2', 0xffffffff))).sessionPresent).toBe(true)
  })
})

describe('stock aedes 2.0.0-beta.1 over stock aedes-persistence-level 9.2.0', () => {
  /** Stock aedes on the LevelDB in `dir` until the returned stop() is called. */
  async function stockBroker(dir: string) {
    const db = new Level<string, string>(dir)
    const store = new AsyncLevelPersistence(db)
    const aedes = await Aedes.createBroker({ persistence: store as never })
    const server = createServer((socket) => aedes.handle(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const stop = async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await new Promise((resolve) => server.close(resolve))
      await sleep(50) // aedes writes on after close() called back
      await db.close()
    }
    h.onCleanup(stop)
    return { port: (server.address() as { port: number }).port, store, stop }
  }

  it('keeps an MQTT 5 session for ever once restarted after its client left (stored-session-expiry.ts)', async () => {
    const dir = await h.tempDir()
    const first = await stockBroker(dir)
    const sub = await rawClient(first.port, { clientId: 'stock-1', clean: false, properties: { sessionExpiryInterval: 1 } })
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'q/t', qos: 1 }] })
    await sub.next('suback')
    sub.send({ cmd: 'disconnect' })
    await sub.closed()
    await first.stop()

    const second = await stockBroker(dir)
    await sleep(2500) // twice the interval, after the restart as well
    expect(await second.store.subscriptionsByClient({ id: 'stock-1' })).toHaveLength(1)
  })
})
