import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import { decodePlace, encodePlace } from './outgoing-ids.js'
import { openBrokerStore, type BrokerStore } from './persistence.js'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postbridge-outgoing-ids-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

const client = { id: 'dev 1' }
const BROKER_ID = '0b4d3c1e-6a1f-4f7e-9a59-2f0d7c2b8e11'
const packet = () => ({
  cmd: 'publish',
  topic: 'big/t',
  payload: Buffer.alloc(10_000, 0x61),
  qos: 1,
  retain: false,
  dup: false,
  brokerId: BROKER_ID,
  brokerCounter: 123_456_789_012,
})

/** Every stored `outgoing*` key of the client, with the size of its value. */
async function outgoingKeys(store: BrokerStore): Promise<Record<string, number>> {
  const found: Record<string, number> = {}
  const id = encodeURIComponent(client.id)
  for await (const [key, value] of store.rawEntries()) {
    const text = new TextDecoder().decode(key)
    if (text.startsWith(`outgoing:${id}:`) || text.startsWith(`outgoing-id:${id}:`)) found[text.slice(0, text.indexOf(':'))] = value.length
  }
  return found
}

describe('outgoing-id values', () => {
  it('round-trip brokerId and brokerCounter, and tell any other value apart', () => {
    for (const brokerId of ['b', BROKER_ID, 'x'.repeat(300)]) {
      for (const brokerCounter of [0, 1, 2 ** 53 - 1])
        expect(decodePlace(encodePlace({ brokerId, brokerCounter }))).toEqual({ brokerId, brokerCounter })
    }
    const value = encodePlace({ brokerId: BROKER_ID, brokerCounter: 7 })
    expect(decodePlace(value.subarray(0, value.length - 1))).toBeUndefined()
    expect(decodePlace(Buffer.concat([value, Buffer.from([0])]))).toBeUndefined()
    expect(decodePlace(Buffer.from([0x88, 0xa3, 0x63, 0x6d, 0x64]))).toBeUndefined()
  })

  it('hold the place of a message, not a copy of it, and clearing still returns the whole message', async () => {
    const store = await openBrokerStore(await tempDir())
    await store.outgoingEnqueue({ clientId: client.id }, packet())
    await store.outgoingUpdate(client, { ...packet(), messageId: 7 })
    const sizes = await outgoingKeys(store)
    expect(sizes.outgoing).toBeGreaterThan(10_000)
    expect(sizes['outgoing-id']).toBeLessThan(100)

    const cleared = await store.outgoingClearMessageId(client, { messageId: 7 })
    expect(cleared).toMatchObject({ topic: 'big/t', messageId: 7, brokerId: BROKER_ID, brokerCounter: 123_456_789_012 })
    expect(Buffer.from(cleared?.payload ?? []).length).toBe(10_000)
    expect(await outgoingKeys(store)).toEqual({})
    await store.close()
  })

  it('take a QoS 2 message through PUBREL to PUBCOMP', async () => {
    const store = await openBrokerStore(await tempDir())
    await store.outgoingEnqueue({ clientId: client.id }, { ...packet(), qos: 2 })
    await store.outgoingUpdate(client, { ...packet(), qos: 2, messageId: 9 })
    // The PUBREL carries no brokerId: the store finds it from the outgoing-id value.
    await store.outgoingUpdate(client, { cmd: 'pubrel', topic: '', messageId: 9 })
    expect((await outgoingKeys(store))['outgoing-id']).toBeLessThan(100)
    expect(await store.outgoingClearMessageId(client, { messageId: 9 })).toMatchObject({ cmd: 'pubrel', messageId: 9, brokerId: BROKER_ID })
    expect(await outgoingKeys(store)).toEqual({})
    await store.close()
  })

  it('written whole by an earlier version are still found and cleared (an upgrade in place)', async () => {
    const dir = await tempDir()
    const location = join(dir, 'broker')
    const db = new Level<string, string>(location)
    const stock = new AsyncLevelPersistence(db)
    await stock.outgoingEnqueue({ clientId: client.id }, packet())
    await stock.outgoingUpdate(client, { ...packet(), messageId: 7 })
    await stock.outgoingEnqueue({ clientId: client.id }, { ...packet(), qos: 2, brokerCounter: 2 })
    await stock.outgoingUpdate(client, { ...packet(), qos: 2, brokerCounter: 2, messageId: 8 })
    await db.close()

    const store = await openBrokerStore(dir)
    expect((await outgoingKeys(store))['outgoing-id']).toBeGreaterThan(10_000)
    const cleared = await store.outgoingClearMessageId(client, { messageId: 7 })
    expect(cleared).toMatchObject({ topic: 'big/t', messageId: 7 })
    expect(Buffer.from(cleared?.payload ?? []).length).toBe(10_000)
    await store.outgoingUpdate(client, { cmd: 'pubrel', topic: '', messageId: 8 })
    expect(await store.outgoingClearMessageId(client, { messageId: 8 })).toMatchObject({ cmd: 'pubrel', messageId: 8 })
    expect(await outgoingKeys(store)).toEqual({})
    await store.close()
  })
})
