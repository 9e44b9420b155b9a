import { describe, expect, it } from 'vitest'
import { MemoryActionStore } from '../testing/memory-action-store.js'
import { MemoryBus } from '../testing/memory-bus.js'
import { RecordingLogger } from '../testing/recording-logger.js'
import { ActionService } from './actions.js'
import { answerLinkedActions, LinkedActions } from './linked-actions.js'

const porch = { label: 'Porch light', topic: 'home/porch/set', payload: 'ON', qos: 1 as const, retain: false, on: ['opened' as const] }

async function setup(answering = true) {
  // One bus stands for the link: what the edge publishes reaches home, home's replies reach the edge.
  const bus = new MemoryBus()
  const log = new RecordingLogger()
  const home = new ActionService({ store: new MemoryActionStore(), bus, now: Date.now, log, publicUrl: 'https://edge.example', ttlMs: 60_000 })
  if (answering) await answerLinkedActions(bus, home, log)
  const edge = new LinkedActions({ bus, timeoutMs: 300, log })
  const published: string[] = []
  await bus.subscribe(['home/#'], (m) => published.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`))
  const [action] = await home.issue('back', [porch], 'opened', 'a1')
  return { edge, published, token: action!.token }
}

describe('alert buttons pressed at the edge', () => {
  it('are used by home exactly once, with what home did sent back', async () => {
    const { edge, published, token } = await setup()
    const seen = await edge.peek(token)
    expect(seen).toMatchObject({ ok: true, record: { label: 'Porch light', topic: 'home/porch/set' } })
    // The token's hash stays at home.
    expect(seen.record?.hash).toBe('')
    expect(await edge.use(token)).toMatchObject({ ok: true, record: { label: 'Porch light' } })
    expect(await edge.use(token)).toMatchObject({ ok: false, reason: 'used' })
    expect(await edge.use('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toMatchObject({ ok: false, reason: 'unknown' })
    expect(published).toEqual(['home/porch/set ON'])
  })

  it('answer unavailable when home does not answer in time, and publish nothing', async () => {
    const { edge, published, token } = await setup(false)
    expect(await edge.use(token)).toEqual({ ok: false, reason: 'unavailable' })
    expect(published).toEqual([])
  })
})
