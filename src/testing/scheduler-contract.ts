/**
 * The contract every Scheduler passes: describeScheduler('name', make), where `make` gives the scheduler and a way to
 * let time pass (a fake's clock, or real waiting). Times are in units of `unitMs` so real timers run it quickly.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Scheduler } from '../ports/scheduler.js'

export interface SchedulerFixture {
  scheduler: Scheduler
  /** Lets `ms` pass and runs what came due. */
  advance(ms: number): Promise<void>
  close?(): void
}

export function describeScheduler(name: string, make: () => SchedulerFixture, options: { unitMs?: number } = {}): void {
  const unit = options.unitMs ?? 1000
  // What must have happened is waited for with room (real timers run late on a busy machine); what must not have
  // happened yet is checked before its time.
  const eventually = (check: () => void) => vi.waitFor(check, { timeout: Math.max(2000, 20 * unit) })
  describe(`Scheduler contract: ${name}`, () => {
    const open: SchedulerFixture[] = []
    afterEach(() => {
      for (const f of open.splice(0)) f.close?.()
    })
    const fixture = () => {
      const f = make()
      open.push(f)
      return f
    }

    it('runs a task once, after its delay and not before', async () => {
      const { scheduler, advance } = fixture()
      let runs = 0
      scheduler.after(4 * unit, () => runs++)
      await advance(2 * unit)
      expect(runs).toBe(0)
      await advance(3 * unit)
      await eventually(() => expect(runs).toBe(1))
      await advance(5 * unit)
      expect(runs).toBe(1)
    })

    it('never runs a cancelled task', async () => {
      const { scheduler, advance } = fixture()
      let ran = false
      const cancel = scheduler.after(unit, () => (ran = true))
      cancel()
      await advance(3 * unit)
      expect(ran).toBe(false)
    })

    it('runs due tasks soonest first', async () => {
      const { scheduler, advance } = fixture()
      const order: string[] = []
      scheduler.after(3 * unit, () => order.push('c'))
      scheduler.after(unit, () => order.push('a'))
      scheduler.after(2 * unit, () => order.push('b'))
      await advance(5 * unit)
      await eventually(() => expect(order).toEqual(['a', 'b', 'c']))
    })

    it('never runs a task inside after(), even with no delay or a negative one', async () => {
      const { scheduler, advance } = fixture()
      const ran: string[] = []
      scheduler.after(0, () => ran.push('zero'))
      scheduler.after(-5 * unit, () => ran.push('negative'))
      expect(ran).toEqual([])
      await advance(unit)
      await eventually(() => expect([...ran].sort()).toEqual(['negative', 'zero']))
    })
  })
}
