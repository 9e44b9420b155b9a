import type { IClientOptions, MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, waitFor } from '../fixtures/harness.js'
import { stockAedes } from '../fixtures/stock-aedes.js'
import { openBrokerStore, type StoredPacket } from '../persistence.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** An MQTT 5 device whose will waits an hour after its connection drops. */
function withDelayedWill(clientId: string): IClientOptions {
  return {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 7200 },
    will: { topic: `will/${clientId}`, payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 3600 } },
  }
}

const keeperOptions: IClientOptions = { protocolVersion: 5, clientId: 'keeper', clean: false, properties: { sessionExpiryInterval: 7200 } }

/** The network connection drops without DISCONNECT: the will applies, after its delay. */
function cutOff(client: MqttClient): void {
  client.stream.destroy()
}

function disconnected(clientId: string): () => boolean {
  return () => h.log.lines.some((l) => l.msg === 'mqtt client disconnected' && (l.obj as { clientId?: string }).clientId === clientId)
}

describe('delayed wills when the broker stops', () => {
  it('reproduces the defect on stock aedes: close() drops a will waiting for its delay, unpublished', async () => {
    const { port, aedes } = await stockAedes(h)
    const watcher = await h.client(port, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const got = collect(watcher)
    cutOff(await h.client(port, withDelayedWill('stock-waiting')))
    const internals = aedes as unknown as {
      delayedWills: Map<string, unknown>
      persistence: { getWill(client: { id: string }): Promise<unknown> }
    }
    await waitFor(() => internals.delayedWills.has('stock-waiting'), 5000, 'the will to wait')
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    expect(got).toEqual([])
    expect(await internals.persistence.getWill({ id: 'stock-waiting' })).toBeDefined()
  })

  it('publishes a waiting delayed will at close, to a connected subscriber before it is disconnected [MQTT-3.1.3-9]', async () => {
    const broker = await h.broker({ allowAnonymous: true })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('will/#', { qos: 1 })
    const will = nextMessage(watcher, 'will/waiting-live', 5000)
    cutOff(await h.client(broker.tcpPort, withDelayedWill('waiting-live')))
    await waitFor(disconnected('waiting-live'), 5000, 'the device to go')
    await broker.close()
    expect((await will).payload).toBe('gone')
  })

  it('queues for a persistent session, before the store closes, the waiting wills and those of clients connected at close', async () => {
    const dataDir = await h.tempDir()
    const broker = await h.broker({ dataDir, allowAnonymous: true })
    const keeper = await h.client(broker.tcpPort, keeperOptions)
    await keeper.subscribeAsync('will/#', { qos: 1 })
    await keeper.endAsync()
    cutOff(await h.client(broker.tcpPort, withDelayedWill('waiting')))
    await waitFor(disconnected('waiting'), 5000, 'the device to go')
    await h.client(broker.tcpPort, withDelayedWill('still-on'))
    await broker.close()

    const store = await openBrokerStore(dataDir)
    try {
      const queued: StoredPacket[] = []
      for await (const packet of store.outgoingStream({ id: 'keeper' })) queued.push(packet as StoredPacket)
      expect(queued.map((p) => p.topic).sort()).toEqual(['will/still-on', 'will/waiting'])
      const wills = store as unknown as { getWill(client: { id: string }): Promise<unknown> }
      expect(await wills.getWill({ id: 'waiting' })).toBeUndefined()
      expect(await wills.getWill({ id: 'still-on' })).toBeUndefined()
    } finally {
      await store.close()
    }
  })

  it('publishes the wills an earlier run left in the store at the next start, before clients connect', async () => {
    const dataDir = await h.tempDir()
    const first = await h.broker({ dataDir, allowAnonymous: true })
    const keeper = await h.client(first.tcpPort, keeperOptions)
    await keeper.subscribeAsync('will/#', { qos: 1 })
    await keeper.endAsync()
    await first.close()
    // A will the stopped run left behind, as a killed process leaves it (crash.test.ts kills one for real).
    const store = await openBrokerStore(dataDir)
    const wills = store as unknown as { putWill(client: { id: string }, packet: object): Promise<void> }
    await wills.putWill({ id: 'left' }, { topic: 'will/left', payload: Buffer.from('gone'), qos: 1, retain: false })
    await store.close()

    const second = await h.broker({ dataDir, allowAnonymous: true })
    const back = h.unconnected(second.tcpPort, keeperOptions)
    const will = nextMessage(back, 'will/left', 5000)
    back.connect()
    expect((await will).payload).toBe('gone')
  })
})
