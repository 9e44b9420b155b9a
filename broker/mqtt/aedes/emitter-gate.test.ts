import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Aedes } from 'aedes'
import { describe, expect, it } from 'vitest'
import type { AedesInternals, BrokerPacket, Emitter } from '../aedes-internals.js'
import { EmitterGate } from './emitter-gate.js'
import { waitFor } from '../fixtures/harness.js'

/** aedes' own emitter (mqemitter 7 with concurrency 100), as the broker would use it. */
function stockEmitter(): Emitter {
  return (new Aedes({}) as unknown as AedesInternals).mq
}

/** A full garbage collection, from a test (the flag makes `gc` exist in contexts made after it is set). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

let counter = 0
function packet(topic: string): BrokerPacket {
  return {
    cmd: 'publish',
    topic,
    payload: Buffer.from('x'),
    qos: 0,
    retain: false,
    dup: false,
    brokerId: 'b',
    brokerCounter: ++counter,
  } as BrokerPacket
}

/**
 * The shape of the crash: a subscriber that does not call back holds all 100 slots, a backlog of
 * messages nobody listens to (so they complete synchronously) builds up behind it, then the slow
 * subscriber lets go.
 */
function backlogBehindSlowSubscriber(emitter: Emitter, backlog: number) {
  const held: (() => void)[] = []
  emitter.on('slow/#', (_p, done) => held.push(done))
  for (let i = 0; i < 100; i++) emitter.emit(packet('slow/x'))
  let completed = 0
  for (let i = 0; i < backlog; i++) emitter.emit(packet('nobody/listens'), () => completed++)
  return {
    releaseSlowSubscriber: () => {
      for (const done of held.splice(0)) done()
    },
    completed: () => completed,
    held: () => held.length,
  }
}

describe('EmitterGate', () => {
  it('reproduces the defect: stock mqemitter drains a synchronous backlog by recursion and overflows the stack', () => {
    const scene = backlogBehindSlowSubscriber(stockEmitter(), 50_000)
    expect(scene.completed()).toBe(0)
    expect(() => scene.releaseSlowSubscriber()).toThrow(RangeError)
  })

  it('drains the same backlog in a loop, without growing the stack', async () => {
    const scene = backlogBehindSlowSubscriber(new EmitterGate(stockEmitter(), 100), 50_000)
    expect(scene.completed()).toBe(0)
    expect(() => scene.releaseSlowSubscriber()).not.toThrow()
    await waitFor(() => scene.completed() === 50_000, 10_000, 'the backlog to drain')
  })

  it('never runs more than `concurrency` messages at once', () => {
    const gate = new EmitterGate(stockEmitter(), 3)
    const held: (() => void)[] = []
    gate.on('t', (_p, done) => held.push(done))
    for (let i = 0; i < 10; i++) gate.emit(packet('t'))
    expect(held).toHaveLength(3)
    expect(gate.backlog).toBe(7)
    held.shift()!()
    expect(held).toHaveLength(3)
    expect(gate.backlog).toBe(6)
  })

  it('lets other messages through once held messages are detached, and completes them later', async () => {
    const gate = new EmitterGate(stockEmitter(), 2)
    const held: [BrokerPacket, () => void][] = []
    gate.on('slow', (p, done) => held.push([p, done]))
    const fast: string[] = []
    gate.on('fast', (p, done) => (fast.push(p.topic), done()))
    let slowDone = 0
    gate.emit(packet('slow'), () => slowDone++)
    gate.emit(packet('slow'), () => slowDone++)
    gate.emit(packet('fast'))
    expect(fast).toEqual([])
    for (const [p] of held) gate.detach({ brokerId: p.brokerId, brokerCounter: p.brokerCounter })
    expect(fast).toEqual(['fast'])
    expect(slowDone).toBe(0)
    for (const [, done] of held) done()
    expect(slowDone).toBe(2)
    expect(gate.inFlight).toBe(0)
  })

  it('fails messages still queued when closed', async () => {
    const gate = new EmitterGate(stockEmitter(), 1)
    gate.on('t', () => {})
    const errors: (Error | undefined)[] = []
    gate.emit(packet('t'))
    gate.emit(packet('t'), (err) => errors.push(err))
    await new Promise<void>((resolve) => gate.close(resolve))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/closed/)
    gate.emit(packet('t'), (err) => errors.push(err))
    expect(errors).toHaveLength(2)
  })

  it('lets go of a message once it has started, so a payload does not outlive its delivery', async () => {
    const gate = new EmitterGate(stockEmitter(), 100)
    gate.on('t/#', (_p, done) => done())
    // In a function of its own: a suspended async function could keep the last message in a register.
    const emitTen = () =>
      Array.from({ length: 10 }, () => {
        const message = packet('t/x')
        gate.emit(message)
        return new WeakRef(message)
      })
    const refs = emitTen()
    // A WeakRef's target is kept until the job that made it ends, and Node lets V8 forget those kept objects only
    // after a macrotask: wait for a few (a busy machine showed one not enough), then collect.
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 0))
    collectGarbage()
    expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0)
  })
})
