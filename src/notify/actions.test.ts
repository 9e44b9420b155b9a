import { describe, expect, it } from 'vitest'
import { MemoryBus } from '../testing/memory-bus.js'
import { MemoryActionStore } from '../testing/memory-action-store.js'
import { RecordingLogger } from '../testing/recording-logger.js'
import { ActionService } from './actions.js'
import type { ActionSpec } from './config.js'

const porch: ActionSpec = { label: 'Turn on porch light', topic: 'home/porch/light/set', payload: 'ON', qos: 1, retain: false, on: ['opened'] }
const ack: ActionSpec = { label: 'I know', payload: '', qos: 1, retain: false, on: ['opened', 'silent'] }

function setup(now = { t: 1_000_000 }) {
  const bus = new MemoryBus()
  const store = new MemoryActionStore()
  const published: string[] = []
  void bus.subscribe(['#'], (m) => published.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`))
  const service = new ActionService({ store, bus, now: () => now.t, log: new RecordingLogger(), publicUrl: 'https://pi.example.net', ttlMs: 60_000 })
  return { bus, store, published, service, now }
}

describe('alert actions', () => {
  it('mints one single-use URL per action that applies to the event', async () => {
    const { service, store } = setup()
    const opened = await service.issue('back', [porch, ack], 'opened', 'alert-1')
    expect(opened.map((a) => a.label)).toEqual(['Turn on porch light', 'I know'])
    expect(opened[0]!.url).toBe(`https://pi.example.net/v1/actions/${opened[0]!.token}`)
    expect(opened[0]!.token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect((await service.issue('back', [porch, ack], 'silent', 'alert-2')).map((a) => a.label)).toEqual(['I know'])
    // Stored by hash only: the token itself is nowhere in the store.
    expect(JSON.stringify([...store.records.values()])).not.toContain(opened[0]!.token)
  })

  it('publishes exactly once; a second use is refused and publishes nothing', async () => {
    const { service, published } = setup()
    const [action] = await service.issue('back', [porch], 'opened', 'a')
    const first = await service.use(action!.token)
    expect(first.ok).toBe(true)
    const again = await service.use(action!.token)
    expect(again).toMatchObject({ ok: false, reason: 'used' })
    await new Promise((r) => setTimeout(r, 0))
    expect(published).toEqual(['home/porch/light/set ON'])
  })

  it('refuses a late use and an unknown token', async () => {
    const { service, published, now } = setup()
    const [action] = await service.issue('back', [porch], 'opened', 'a')
    now.t += 60_001
    expect(await service.use(action!.token)).toMatchObject({ ok: false, reason: 'expired' })
    expect(await service.use('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toMatchObject({ ok: false, reason: 'unknown' })
    expect(published).toEqual([])
  })

  it('gives the token back when the publish fails, so the button can be pressed again', async () => {
    const { service, bus, published } = setup()
    const [action] = await service.issue('back', [porch], 'opened', 'a')
    const publish = bus.publish.bind(bus)
    bus.publish = async () => {
      throw new Error('broker down')
    }
    expect(await service.use(action!.token)).toMatchObject({ ok: false, reason: 'failed' })
    bus.publish = publish
    expect((await service.use(action!.token)).ok).toBe(true)
    await new Promise((r) => setTimeout(r, 0))
    expect(published).toEqual(['home/porch/light/set ON'])
  })

  it('lets only one of two simultaneous presses publish', async () => {
    const { service, published } = setup()
    const [action] = await service.issue('back', [porch], 'opened', 'a')
    const results = await Promise.all([service.use(action!.token), service.use(action!.token)])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 0))
    expect(published).toHaveLength(1)
  })
})
