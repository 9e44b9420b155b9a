/**
 * The stable ids of the latest messages that came up the link, in Durable Object SQLite: home resends what the edge
 * received but could not acknowledge (the link died first), and the edge drops those repeats instead of firing
 * webhooks and SSE twice. Bounded: the newest SEEN_MAX ids are kept, across restarts.
 */
export const SEEN_MAX = 10_000
/** Pruning runs once per this many inserts, not on each. */
const PRUNE_EVERY = 500

export class UpSeen {
  private inserts = 0

  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS link_up_seen (n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE)')
  }

  has(id: string): boolean {
    return this.sql.exec('SELECT 1 FROM link_up_seen WHERE id = ?', id).toArray().length > 0
  }

  add(id: string): void {
    this.sql.exec('INSERT OR IGNORE INTO link_up_seen (id) VALUES (?)', id)
    if (++this.inserts % PRUNE_EVERY === 0) {
      this.sql.exec('DELETE FROM link_up_seen WHERE n <= (SELECT MAX(n) FROM link_up_seen) - ?', SEEN_MAX)
    }
  }
}
