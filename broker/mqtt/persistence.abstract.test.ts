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
import { afterAll, it } from 'vitest'
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

const context: TestContext = { plan: () => {}, diagnostic: () => {}, assert }

abstract({
  test: (name, fn) => it(`aedes-persistence contract: ${name}`, () => fn(context)),
  persistence: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postbridge-store-'))
    dirs.push(dir)
    return openBrokerStore(dir)
  },
  testAsync: true,
})
