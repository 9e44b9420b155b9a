/** Durable facts about the link for /v1/health: counters (expired, refused...) and when things last happened. */
export type CounterName = 'delivered' | 'expired' | 'rejectedByHome' | 'refusedQueueFull' | 'linkRefused' | 'upRepeats' | 'syncUnchanged'
/** `linkQuietAlertedAt` is when the edge announced the current outage; 0 once home is back. */
export type EventName = 'linkedAt' | 'unlinkedAt' | 'refusedAt' | 'linkQuietAlertedAt'

const COUNTERS: CounterName[] = ['delivered', 'expired', 'rejectedByHome', 'refusedQueueFull', 'linkRefused', 'upRepeats', 'syncUnchanged']

export class EdgeStats {
  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS edge_stats (name TEXT PRIMARY KEY, value INTEGER NOT NULL)')
  }

  add(name: CounterName, by = 1): void {
    if (by === 0) return
    this.sql.exec('INSERT INTO edge_stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value', name, by)
  }

  mark(name: EventName, at: number): void {
    this.sql.exec('INSERT OR REPLACE INTO edge_stats (name, value) VALUES (?, ?)', name, at)
  }

  get(name: EventName): number | undefined {
    return this.sql.exec<{ value: number }>('SELECT value FROM edge_stats WHERE name = ?', name).toArray()[0]?.value
  }

  counters(): Record<CounterName, number> {
    const out = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<CounterName, number>
    for (const row of this.sql.exec<{ name: string; value: number }>('SELECT name, value FROM edge_stats')) {
      if ((COUNTERS as string[]).includes(row.name)) out[row.name as CounterName] = row.value
    }
    return out
  }
}
