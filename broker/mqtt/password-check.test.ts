/** The password check queue: bounded, fair across source addresses, and it skips connections that left. */
import { describe, expect, it } from 'vitest'
import { PasswordCheck } from './password-check.js'

/** A verify function whose runs finish when the test says so, recording the order they started in. */
function controlledVerify() {
  const started: string[] = []
  const finishers: (() => void)[] = []
  const verify = (password: string) =>
    new Promise<boolean>((resolve) => {
      started.push(password)
      finishers.push(() => resolve(false))
    })
  const finishOne = async () => {
    await tick()
    finishers.shift()?.()
    await tick()
  }
  return { started, verify, finishOne }
}

const pw = (s: string) => Buffer.from(s)
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('PasswordCheck queue', () => {
  it('serves waiting checks round-robin across lanes, not first come first served', async () => {
    const v = controlledVerify()
    const check = new PasswordCheck({ verify: v.verify, maxConcurrent: 1, maxPending: 100, maxPendingPerLane: 100 })
    const results = [
      ...['a1', 'a2', 'a3', 'a4'].map((p) => check.attempt('u', pw(p), 'h', { lane: 'attacker' })),
      check.attempt('u', pw('d1'), 'h', { lane: 'device' }),
    ]
    for (let i = 0; i < 5; i++) await v.finishOne()
    await Promise.all(results)
    expect(v.started).toEqual(['a1', 'a2', 'd1', 'a3', 'a4'])
  })

  it("answers 'busy' beyond maxPending in all and maxPendingPerLane per lane, without running", async () => {
    const v = controlledVerify()
    const check = new PasswordCheck({ verify: v.verify, maxConcurrent: 1, maxPending: 3, maxPendingPerLane: 2 })
    void check.attempt('u', pw('run'), 'h', { lane: 'x' })
    void check.attempt('u', pw('x1'), 'h', { lane: 'x' })
    void check.attempt('u', pw('x2'), 'h', { lane: 'x' })
    expect(await check.attempt('u', pw('x3'), 'h', { lane: 'x' })).toBe('busy')
    void check.attempt('u', pw('y1'), 'h', { lane: 'y' })
    expect(await check.attempt('u', pw('z1'), 'h', { lane: 'z' })).toBe('busy')
    expect(check.waiting).toBe(3)
  })

  it("drops a check whose connection closed before its turn: 'gone', and nothing runs", async () => {
    const v = controlledVerify()
    const check = new PasswordCheck({ verify: v.verify, maxConcurrent: 1 })
    let open = true
    const first = check.attempt('u', pw('first'), 'h', { lane: 'x' })
    const second = check.attempt('u', pw('second'), 'h', { lane: 'x', isAlive: () => open })
    open = false
    await v.finishOne()
    expect(await first).toBe('wrong')
    expect(await second).toBe('gone')
    expect(v.started).toEqual(['first'])
    expect(check.verifications).toBe(1)
  })

  it('keeps the last run slot for sources with a clean record', async () => {
    const v = controlledVerify()
    const check = new PasswordCheck({ verify: v.verify, maxConcurrent: 2 })
    const suspect = { lane: 'attacker', isSuspect: () => true }
    void check.attempt('u', pw('s1'), 'h', suspect)
    void check.attempt('u', pw('s2'), 'h', suspect)
    await tick()
    expect(v.started).toEqual(['s1'])
    void check.attempt('u', pw('clean'), 'h', { lane: 'device' })
    await tick()
    expect(v.started).toEqual(['s1', 'clean'])
  })
})
