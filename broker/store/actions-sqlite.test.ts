import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SqlActionStore } from '../../src/notify/sql-action-store.js'
import { MemoryActionStore } from '../../src/testing/memory-action-store.js'
import type { ActionStore } from '../../src/notify/actions.js'
import { openDatabase } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const record = (hash: string, expiresAt = 1000) => ({
  hash,
  label: 'L',
  topic: 't/1',
  payload: 'p',
  qos: 1 as const,
  retain: false,
  sensorId: 's',
  alertId: 'a',
  expiresAt,
})

const stores: [string, () => ActionStore][] = [
  ['memory', () => new MemoryActionStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'postbridge-actions-'))
      dirs.push(dir)
      return new SqlActionStore(betterSqliteDriver(openDatabase(dir)))
    },
  ],
]

describe.each(stores)('ActionStore (%s)', (_name, make) => {
  it('lets a token be taken once, before it expires', async () => {
    const s = make()
    await s.put(record('h1'))
    expect(await s.take('h1', 10)).toBe(true)
    expect(await s.take('h1', 11)).toBe(false)
    expect((await s.get('h1'))?.usedAt).toBe(10)
    await s.put(record('h2', 100))
    expect(await s.take('h2', 100)).toBe(false)
    expect(await s.take('nope', 1)).toBe(false)
  })

  it('releases a taken token and prunes expired ones', async () => {
    const s = make()
    await s.put(record('h1'))
    await s.take('h1', 10)
    await s.release('h1')
    expect((await s.get('h1'))?.usedAt).toBeUndefined()
    expect(await s.take('h1', 20)).toBe(true)
    await s.prune(2000)
    expect(await s.get('h1')).toBeUndefined()
  })
})
