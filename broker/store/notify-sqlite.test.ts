import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initialState } from '../../src/notify/model.js'
import { describeNotifierStore, describeSensorStore } from '../../src/testing/notify-store-contract.js'
import { openDatabase, type Db } from './db.js'
import { SqliteNotifierStore } from './notifiers-sqlite.js'
import { SqliteSensorStore } from './sensors-sqlite.js'

const opened: { db: Db; dir: string }[] = []
function freshDb(dir = mkdtempSync(join(tmpdir(), 'pb-notify-'))): Db {
  const db = openDatabase(dir)
  opened.push({ db, dir })
  return db
}
afterEach(() => {
  for (const { db, dir } of opened.splice(0)) {
    if (db.open) db.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

describeSensorStore('sqlite', () => new SqliteSensorStore(freshDb()))
describeNotifierStore('sqlite', () => new SqliteNotifierStore(freshDb()))

describe('SqliteSensorStore', () => {
  it('keeps state and events across a reopen of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-notify-'))
    const db = openDatabase(dir)
    const store = new SqliteSensorStore(db)
    const state = { ...initialState(1000), lastSeenAt: 2000 }
    await store.commit('a', state, [{ id: 'e1', sensorId: 'a', kind: 'opened', at: 2000, door: 'open' }])
    db.close()
    const again = new SqliteSensorStore(freshDb(dir))
    expect(await again.state('a')).toEqual(state)
    expect((await again.events('a', { limit: 5 })).map((e) => e.id)).toEqual(['e1'])
  })

  it('writes nothing when an event in the commit cannot be stored', async () => {
    const store = new SqliteSensorStore(freshDb())
    const event = { id: 'dup', sensorId: 'a', kind: 'opened' as const, at: 1 }
    await store.commit('a', initialState(0), [event])
    await expect(store.commit('a', { ...initialState(0), lastSeenAt: 5 }, [event])).rejects.toThrow()
    expect((await store.state('a'))!.lastSeenAt).toBeUndefined()
  })
})
