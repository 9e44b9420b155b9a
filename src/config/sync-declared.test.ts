import { describe, expect, it } from 'vitest'
import { syncDeclared, type SyncedEntry } from './sync-declared.js'

type Entry = SyncedEntry & { name: string; tags: Record<string, string> }

class MapStore {
  readonly rows = new Map<string, Entry>()
  async list() {
    return [...this.rows.values()]
  }
  async put(r: Entry) {
    this.rows.set(r.id, r)
  }
  async remove(id: string) {
    return this.rows.delete(id)
  }
}

const declare = (store: MapStore, entries: { id: string; name: string; tags?: Record<string, string> }[], now: number) =>
  syncDeclared(store, entries, now, (d) => ({ id: d.id, name: d.name, tags: d.tags ?? {} }))

describe('syncDeclared', () => {
  it('writes declared entries with source config, createdAt and updatedAt now', async () => {
    const store = new MapStore()
    await declare(store, [{ id: 'a', name: 'A' }], 100)
    expect(store.rows.get('a')).toEqual({ id: 'a', name: 'A', tags: {}, source: 'config', createdAt: 100, updatedAt: 100 })
  })

  it('keeps createdAt always, and updatedAt while the entry is unchanged (whatever the order of its keys)', async () => {
    const store = new MapStore()
    await declare(store, [{ id: 'a', name: 'A', tags: { x: '1', y: '2' } }], 100)
    await declare(store, [{ id: 'a', name: 'A', tags: { y: '2', x: '1' } }], 200)
    expect(store.rows.get('a')).toMatchObject({ createdAt: 100, updatedAt: 100 })
    await declare(store, [{ id: 'a', name: 'B', tags: { y: '2', x: '1' } }], 300)
    expect(store.rows.get('a')).toMatchObject({ name: 'B', createdAt: 100, updatedAt: 300 })
  })

  it('removes config entries the file no longer declares and leaves entries made through the API', async () => {
    const store = new MapStore()
    await store.put({ id: 'api', name: 'API', tags: {}, source: 'api', createdAt: 1, updatedAt: 1 })
    await declare(
      store,
      [
        { id: 'a', name: 'A' },
        { id: 'b', name: 'B' },
      ],
      100,
    )
    await declare(store, [{ id: 'b', name: 'B' }], 200)
    expect([...store.rows.keys()].sort()).toEqual(['api', 'b'])
  })

  it('takes over an entry made through the API with the same id, as a config entry updated now', async () => {
    const store = new MapStore()
    await store.put({ id: 'a', name: 'A', tags: {}, source: 'api', createdAt: 1, updatedAt: 1 })
    await declare(store, [{ id: 'a', name: 'A' }], 100)
    expect(store.rows.get('a')).toEqual({ id: 'a', name: 'A', tags: {}, source: 'config', createdAt: 1, updatedAt: 100 })
  })
})
