/**
 * aedes-persistence's own abstract test suite (the contract every aedes store must meet), run against
 * Postbridge's broker store (persistence.ts: aedes-persistence-level plus its corrections).
 */
// node:test's t.assert carries node:assert's methods (deepEqual is the loose one the suite relies on).
import assert from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { openBrokerStore } from './persistence.js'

interface TestContext {
  plan(count: number): void
  diagnostic(message: string): void
  assert: typeof assert
}

type AbstractSuite = (opts: {
  test: (name: string, fn: (t: TestContext) => Promise<void> | void) => void
  persistence: () => Promise<unknown>
  testAsync: boolean
}) => void

const abstract = createRequire(import.meta.url)('aedes-persistence/abstract.js') as AbstractSuite

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

/** node:test's context as the suite uses it: t.plan(n) is checked, as node:test does, against the assertions made. */
function contextFor(): { t: TestContext; planned: () => number | undefined; made: () => number } {
  let planned: number | undefined
  let made = 0
  const counted = new Proxy(assert, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        made++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  const t: TestContext = { plan: (count) => (planned = count), diagnostic: () => {}, assert: counted }
  return { t, planned: () => planned, made: () => made }
}

abstract({
  test: (name, fn) =>
    it(`aedes-persistence contract: ${name}`, async () => {
      const { t, planned, made } = contextFor()
      await fn(t)
      // A planned assertion that never ran (a callback that never came) fails the test, as in node:test.
      if (planned() !== undefined) expect(made()).toBe(planned())
    }),
  persistence: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postbridge-store-'))
    dirs.push(dir)
    return openBrokerStore(dir)
  },
  testAsync: true,
})
