import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { GroupedWrites } from './grouped-writes.js'
import { openBrokerStore } from './persistence.js'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postbridge-grouped-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  vi.restoreAllMocks()
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

describe('grouped LevelDB writes', () => {
  it('writes the puts and dels of one tick as one LevelDB batch, each promise settling once it is written', async () => {
    const db = new Level<string, string>(join(await tempDir(), 'db'))
    await db.open()
    const batch = vi.spyOn(db, 'batch')
    const writes = new GroupedWrites(db)
    const done = [writes.put('a', '1'), writes.put('b', '2'), writes.del('a'), writes.batch([{ type: 'put', key: 'c', value: '3' }])]
    await Promise.all(done)
    expect(batch).toHaveBeenCalledTimes(1)
    expect(await db.get('a')).toBeUndefined()
    expect([await db.get('b'), await db.get('c')]).toEqual(['2', '3'])
    await db.close()
  })

  it('applies writes in the order they were asked for, across batches', async () => {
    const db = new Level<string, string>(join(await tempDir(), 'db'))
    await db.open()
    const writes = new GroupedWrites(db)
    const all: Promise<void>[] = []
    for (let i = 0; i < 200; i++) {
      all.push(writes.put('k', String(i)))
      if (i % 37 === 0) await new Promise((r) => setImmediate(r)) // later writes land in later batches
    }
    await Promise.all(all)
    expect(await db.get('k')).toBe('199')
    await db.close()
  })

  it('runs a range clear after the writes asked for before it', async () => {
    const db = new Level<string, string>(join(await tempDir(), 'db'))
    await db.open()
    const writes = new GroupedWrites(db)
    void writes.put('x:1', 'a')
    await writes.clear({ gte: 'x:', lt: 'x;' })
    expect(await db.get('x:1')).toBeUndefined()
    await db.close()
  })
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
