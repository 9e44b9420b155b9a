import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openBrokerStore } from './persistence.js'

/** Holds the next LevelDB put back until the returned function is called, as a busy thread pool may. */
function holdFirstPut(): () => void {
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const put = Level.prototype.put
  vi.spyOn(Level.prototype, 'put').mockImplementationOnce(async function (this: Level, ...args: Parameters<Level['put']>) {
    await held
    return put.apply(this, args)
  })
  return release
}

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postbridge-store-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  vi.restoreAllMocks()
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('the broker store, on a PUBACK', () => {
  const client = { id: 'dev 1' }
  const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, retain: false, brokerId: 'b', brokerCounter: 1, messageId: 7 }

  it('reads nothing for a client that never had a packet id stored', async () => {
    const store = await openBrokerStore(await tempDir())
    const get = vi.spyOn(Level.prototype, 'get')
    expect(await store.outgoingClearMessageId(client, { messageId: 7 })).toBeUndefined()
    expect(get).not.toHaveBeenCalled()
    await store.close()
  })

  it('clears a packet id stored before a restart', async () => {
    const dir = await tempDir()
    const first = await openBrokerStore(dir)
    await first.outgoingEnqueue({ clientId: client.id }, { ...packet })
    await first.outgoingUpdate(client, { ...packet })
    await first.close()
    const second = await openBrokerStore(dir)
    const cleared = await second.outgoingClearMessageId(client, { messageId: 7 })
    expect(cleared).toMatchObject({ topic: 't', messageId: 7 })
    const left: unknown[] = []
    for await (const p of second.outgoingStream(client)) left.push(p)
    expect(left).toEqual([])
    await second.close()
  })
})

describe('the broker store, queueing a message', () => {
  const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, retain: false, brokerId: 'b' }

  it('completes a message with nothing to queue only after the queue writes asked for before it (5.) [MQTT-4.6.0-6]', async () => {
    const store = await openBrokerStore(await tempDir())
    // The first LevelDB write finishes late, as one on a busy thread pool may.
    const openFirst = holdFirstPut()
    const order: string[] = []
    const first = store.outgoingEnqueueCombi([{ clientId: 'offline', qos: 1 }], { ...packet, brokerCounter: 1 }).then(() => order.push('queued'))
    const second = store.outgoingEnqueueCombi([], { ...packet, brokerCounter: 2 }).then(() => order.push('nothing to queue'))
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([])
    openFirst()
    await Promise.all([first, second])
    expect(order).toEqual(['queued', 'nothing to queue'])
    // With nothing in progress, a message with nothing to queue completes on its own.
    await store.outgoingEnqueueCombi([], { ...packet, brokerCounter: 3 })
    await store.close()
  })
})

describe('the broker store, for a client with nothing stored (8.)', () => {
  const packet = { cmd: 'publish', topic: 't', payload: Buffer.from('p'), qos: 1, retain: false, brokerId: 'b', brokerCounter: 1 }
  const will = { cmd: 'publish', topic: 'w', payload: Buffer.from('gone'), qos: 0, retain: false }

  /** Every LevelDB read, iterator and range delete the store makes, counted on the real LevelDB. */
  function countLevelOps(): () => number {
    const spies = (['get', 'getMany', 'iterator', 'keys', 'values', 'clear', 'batch', 'del'] as const).map((name) => vi.spyOn(Level.prototype, name))
    return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0)
  }

  async function drain(stream: AsyncIterable<unknown>): Promise<unknown[]> {
    const items: unknown[] = []
    for await (const item of stream) items.push(item)
    return items
  }

  /** What aedes asks of the store when a device connects with a clean session (and later disconnects). */
  async function cleanConnect(store: Awaited<ReturnType<typeof openBrokerStore>>, client: { id: string }) {
    await store.cleanSubscriptions(client)
    const subs = await store.subscriptionsByClient(client)
    const queued = await drain(store.outgoingStream(client))
    const delWill = await store.delWill(client)
    const getWill = await store.getWill(client)
    return { subs, queued, delWill, getWill }
  }

  it('answers a clean connect without touching LevelDB, and still ends the session for those who listen', async () => {
    const store = await openBrokerStore(await tempDir())
    const ended: string[] = []
    store.onSessionEnded((id) => ended.push(id))
    const ops = countLevelOps()
    expect(await cleanConnect(store, { id: 'fresh' })).toEqual({ subs: [], queued: [], delWill: undefined, getWill: undefined })
    expect(ops()).toBe(0)
    expect(ended).toEqual(['fresh'])
    await store.close()
  })

  it('reads and clears a client that has something stored, then forgets it', async () => {
    const store = await openBrokerStore(await tempDir())
    await store.addSubscriptions({ id: 'dev' }, [{ topic: 'a/#', qos: 1 }])
    await store.outgoingEnqueue({ clientId: 'dev' }, { ...packet })
    await store.putWill({ id: 'dev' }, { ...will })
    expect(await store.subscriptionsByClient({ id: 'dev' })).toEqual([{ topic: 'a/#', qos: 1 }])
    expect(await drain(store.outgoingStream({ id: 'dev' }))).toMatchObject([{ topic: 't' }])
    expect(await store.getWill({ id: 'dev' })).toMatchObject({ topic: 'w' })
    expect(store.clientsWithState).toBe(2) // a session and a will
    const ops = countLevelOps()
    await store.cleanSubscriptions({ id: 'dev' })
    expect(await store.delWill({ id: 'dev' })).toMatchObject({ topic: 'w' })
    expect(ops()).toBeGreaterThan(0)
    expect(store.clientsWithState).toBe(0)
    expect(await cleanConnect(store, { id: 'dev' })).toEqual({ subs: [], queued: [], delWill: undefined, getWill: undefined })
    await store.close()
  })

  it('knows after a restart every client the keys name: subscriptions, queue, half-received QoS 2, will', async () => {
    const dir = await tempDir()
    const first = await openBrokerStore(dir)
    await first.addSubscriptions({ id: 'subscribed' }, [{ topic: 's', qos: 1 }])
    await first.outgoingEnqueue({ clientId: 'queued' }, { ...packet })
    await first.incomingStorePacket({ id: 'half' }, { ...packet, qos: 2, messageId: 9 })
    await first.putWill({ id: 'willing' }, { ...will })
    await first.close()

    const second = await openBrokerStore(dir)
    expect(second.clientsWithState).toBe(4)
    expect(await second.subscriptionsByClient({ id: 'subscribed' })).toEqual([{ topic: 's', qos: 1 }])
    expect(await drain(second.outgoingStream({ id: 'queued' }))).toMatchObject([{ topic: 't' }])
    expect(await second.getWill({ id: 'willing' })).toMatchObject({ topic: 'w' })
    // A clean start of the half-received message's client clears it [MQTT-3.1.2-4].
    await expect(second.incomingGetPacket({ id: 'half' }, { messageId: 9 })).resolves.toMatchObject({ messageId: 9 })
    await second.cleanSubscriptions({ id: 'half' })
    await expect(second.incomingGetPacket({ id: 'half' }, { messageId: 9 })).rejects.toThrow('no such packet')
    await second.close()
  })

  it('forgets, when its session ends, a message dropped for a client that never had one stored (7.)', async () => {
    const store = await openBrokerStore(await tempDir())
    store.queues.limit({ maxMessages: 10, maxBytes: 100 }, { warn: () => {} } as unknown as Parameters<typeof store.queues.limit>[1])
    await store.outgoingEnqueueCombi([{ clientId: 'small', qos: 1 }], { ...packet, payload: Buffer.alloc(500) })
    expect(store.queues.hasDropped('small')).toBe(true)
    await store.cleanSubscriptions({ id: 'small' })
    expect(store.queues.hasDropped('small')).toBe(false)
    await store.close()
  })

  it('holds no id for the clean sessions that came and went', async () => {
    const store = await openBrokerStore(await tempDir())
    for (let i = 0; i < 50; i++) {
      const client = { id: `passer-${i}` }
      await store.addSubscriptions(client, [{ topic: `p/${i}`, qos: 0 }])
      await store.putWill(client, { ...will })
      // aedes on a clean session's disconnect: its subscriptions go, its will is deleted.
      await store.cleanSubscriptions(client)
      await store.delWill(client)
    }
    expect(store.clientsWithState).toBe(0)
    await store.close()
  })
})

describe('the broker store, for retained messages under $SYS/ (10.)', () => {
  const retained = (topic: string, payload: string) => ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: true, dup: false })

  /** Every LevelDB write the store makes, counted on the real LevelDB. */
  function countLevelWrites(): () => number {
    const spies = (['put', 'batch', 'del', 'clear'] as const).map((name) => vi.spyOn(Level.prototype, name))
    return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0)
  }

  async function topics(stream: AsyncIterable<unknown>): Promise<string[]> {
    const found: string[] = []
    for await (const packet of stream) found.push((packet as { topic: string }).topic)
    return found
  }

  it('keeps a $SYS/ retained message out of LevelDB, and a home/ one in it', async () => {
    const store = await openBrokerStore(await tempDir())
    const writes = countLevelWrites()
    await store.storeRetained(retained('$SYS/broker/uptime', '5 seconds'))
    expect(writes()).toBe(0)
    await store.storeRetained(retained('home/lamp', 'on'))
    expect(writes()).toBe(1)
    expect((await store.retainedMatching('$SYS/broker/uptime')).map((p) => p.payload?.toString())).toEqual(['5 seconds'])
    await store.close()
  })

  it('serves them to every reader of retained messages, in the order of their topics, and deletes one on an empty payload', async () => {
    const store = await openBrokerStore(await tempDir())
    for (const topic of ['home/b', '$SYS/broker/version', 'a', '$SYS/broker/uptime', '$RAW/x', '%x']) await store.storeRetained(retained(topic, 'v'))
    const all = ['$RAW/x', '$SYS/broker/uptime', '$SYS/broker/version', '%x', 'a', 'home/b']
    expect(await topics(store.createRetainedStream('#'))).toEqual(all)
    expect(await topics(store.createRetainedStreamCombi(['$SYS/#', 'home/#']))).toEqual(['$SYS/broker/uptime', '$SYS/broker/version', 'home/b'])
    expect(await topics(store.createRetainedStreamCombi(['+/broker/+']))).toEqual(['$SYS/broker/uptime', '$SYS/broker/version'])
    expect((await store.retainedMatching('$SYS/broker/#')).map((p) => p.topic)).toEqual(['$SYS/broker/uptime', '$SYS/broker/version'])
    const each: string[] = []
    await store.eachRetained('$SYS/broker/version', (p) => each.push(`${p.topic}=${p.payload?.toString()}`))
    expect(each).toEqual(['$SYS/broker/version=v'])
    expect(await store.countRetained()).toBe(6)

    await store.storeRetained(retained('$SYS/broker/version', ''))
    expect(await topics(store.createRetainedStream('$SYS/#'))).toEqual(['$SYS/broker/uptime'])
    expect(await store.countRetained()).toBe(5)
    await store.close()
  })

  it('settles a $SYS/ write only after the retained writes asked for before it (5.)', async () => {
    const store = await openBrokerStore(await tempDir())
    const openFirst = holdFirstPut()
    const order: string[] = []
    const first = store.storeRetained(retained('home/a', '1')).then(() => order.push('home/a'))
    const second = store.storeRetained(retained('$SYS/broker/uptime', '1 seconds')).then(() => order.push('$SYS'))
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(order).toEqual([])
    openFirst()
    await Promise.all([first, second])
    expect(order).toEqual(['home/a', '$SYS'])
    await store.close()
  })

  it('returns no $SYS/ value of an earlier run after a restart, and leaves them out of backups', async () => {
    const dir = await tempDir()
    const first = await openBrokerStore(dir)
    await first.storeRetained(retained('$SYS/broker/uptime', '99 seconds'))
    await first.storeRetained(retained('home/lamp', 'on'))
    const raw: string[] = []
    for await (const [key] of first.rawEntries()) raw.push(Buffer.from(key).toString())
    expect(raw).toEqual(['retained:home/lamp'])
    await first.close()

    const second = await openBrokerStore(dir)
    expect(await topics(second.createRetainedStream('#'))).toEqual(['home/lamp'])
    expect(await second.countRetained()).toBe(1)
    await second.storeRetained(retained('$SYS/broker/uptime', '0 seconds'))
    expect((await second.retainedMatching('$SYS/#')).map((p) => p.payload?.toString())).toEqual(['0 seconds'])
    await second.close()
  })

  it('deletes at open the $SYS/ retained messages an earlier version wrote to LevelDB', async () => {
    const dir = await tempDir()
    const first = await openBrokerStore(dir)
    await first.close()
    // Written as before: by aedes-persistence-level itself, into LevelDB.
    const db = new Level<string, string>(join(dir, 'broker'))
    const earlier = new AsyncLevelPersistence(db)
    await earlier.storeRetained(retained('$SYS/broker/uptime', '42 seconds'))
    await earlier.storeRetained(retained('home/lamp', 'on'))
    await db.close()

    const second = await openBrokerStore(dir)
    expect(await topics(second.createRetainedStream('#'))).toEqual(['home/lamp'])
    expect(await second.countRetained()).toBe(1)
    const raw: string[] = []
    for await (const [key] of second.rawEntries()) raw.push(Buffer.from(key).toString())
    expect(raw).toEqual(['retained:home/lamp'])
    await second.close()
  })
})
