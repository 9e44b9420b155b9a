import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openBrokerStore } from './persistence.js'

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
    let openFirst!: () => void
    const firstHeld = new Promise<void>((resolve) => (openFirst = resolve))
    const put = Level.prototype.put
    vi.spyOn(Level.prototype, 'put').mockImplementationOnce(async function (this: Level, ...args: Parameters<Level['put']>) {
      await firstHeld
      return put.apply(this, args)
    })
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
