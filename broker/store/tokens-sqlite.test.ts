import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { issueToken } from '../../src/auth/token.js'
import { openDatabase } from './db.js'
import { SqliteTokenStore } from './tokens-sqlite.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('SqliteTokenStore', () => {
  it('keeps tokens across a reopen of the file, lists them in creation order, touches and revokes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-tokens-'))
    dirs.push(dir)
    const scope = { publish: ['a/#'], read: ['#'], admin: false }
    const first = await issueToken('first', scope, 1)
    const second = await issueToken('second', { ...scope, admin: true }, 2)
    let db = openDatabase(dir)
    let store = new SqliteTokenStore(db)
    await store.create(second.record)
    await store.create(first.record)
    await expect(store.create(first.record)).rejects.toThrow()
    db.close()

    db = openDatabase(dir)
    store = new SqliteTokenStore(db)
    expect((await store.list()).map((t) => t.name)).toEqual(['first', 'second'])
    expect(await store.get(first.record.id)).toEqual(first.record)
    await store.touch(first.record.id, 99)
    expect((await store.get(first.record.id))?.lastUsedAt).toBe(99)
    expect(await store.revoke(first.record.id)).toBe(true)
    expect(await store.revoke(first.record.id)).toBe(false)
    expect(await store.get(first.record.id)).toBeUndefined()
    db.close()
  })
})
