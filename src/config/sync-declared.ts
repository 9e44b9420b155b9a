/**
 * The one "sync declared entries from config": what the config file declares (webhooks, sensors, notifiers) is
 * brought into its store at start. Each declared entry is written with source 'config'; a config entry the file no
 * longer declares is removed; entries made through the API are left alone. createdAt is kept, and updatedAt moves
 * only when the entry changed, so a restart with the same file leaves the store as it was.
 */

/** What every declared kind of entry stores beside its own fields. */
export interface SyncedEntry {
  id: string
  source: 'config' | 'api'
  createdAt: number
  updatedAt: number
}

export interface DeclaredEntryStore<R extends SyncedEntry> {
  list(): Promise<R[]>
  put(record: R): Promise<void>
  remove(id: string): Promise<boolean>
}

/**
 * Writes the declared entries, then removes config entries no longer declared. toRecord builds an entry from its
 * declaration and the stored one with that id (if any); its timestamps are set here. Validation is the caller's, before.
 */
export async function syncDeclared<D extends { id: string }, R extends SyncedEntry>(
  store: DeclaredEntryStore<R>,
  declared: readonly D[],
  now: number,
  toRecord: (declaration: D, existing: R | undefined) => Omit<R, 'source' | 'createdAt' | 'updatedAt'>,
): Promise<void> {
  const existing = new Map((await store.list()).map((r) => [r.id, r]))
  for (const declaration of declared) {
    const old = existing.get(declaration.id)
    const fields = toRecord(declaration, old)
    const record = { ...fields, source: 'config', createdAt: old?.createdAt ?? now, updatedAt: now } as R
    if (old && old.source === 'config' && sameEntry(old, record)) record.updatedAt = old.updatedAt
    await store.put(record)
  }
  const wanted = new Set(declared.map((d) => d.id))
  for (const r of existing.values()) if (r.source === 'config' && !wanted.has(r.id)) await store.remove(r.id)
}

/** Equal apart from timestamps: the same fields with the same values, whatever their order. */
function sameEntry(a: SyncedEntry, b: SyncedEntry): boolean {
  return stableJson({ ...a, createdAt: 0, updatedAt: 0 }) === stableJson({ ...b, createdAt: 0, updatedAt: 0 })
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  )
}
