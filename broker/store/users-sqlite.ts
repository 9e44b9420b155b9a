/** MQTT users: those declared in the config file, then those added with `postbridge user add` (SQLite). */
import type { MqttUser, UserDirectory } from '../mqtt/users.js'
import type { Db } from './db.js'
import { watchForeignWrites, type ForeignWriteWatch } from './foreign-writes.js'

interface Row {
  username: string
  password_hash: string
  publish: string
  subscribe: string
}

export class SqliteUserStore implements UserDirectory {
  private readonly fromConfig: Map<string, MqttUser>
  private readonly listeners = new Set<() => void>()

  /** foreignWrites: shared with whatever else watches the same file (the home node's token revocation). */
  constructor(
    private readonly db: Db,
    configured: MqttUser[] = [],
    private readonly foreignWrites: ForeignWriteWatch = watchForeignWrites(db),
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS mqtt_users (
      username TEXT PRIMARY KEY,
      password_hash TEXT NOT NULL,
      publish TEXT NOT NULL,
      subscribe TEXT NOT NULL
    )`)
    this.fromConfig = new Map(configured.map((u) => [u.username, u]))
  }

  async find(username: string): Promise<MqttUser | undefined> {
    const declared = this.fromConfig.get(username)
    if (declared) return declared
    const row = this.db.prepare('SELECT * FROM mqtt_users WHERE username = ?').get(username) as Row | undefined
    return row ? toUser(row) : undefined
  }

  /** Adds or replaces a stored user. */
  put(user: MqttUser): void {
    this.db
      .prepare(
        'INSERT INTO mqtt_users (username, password_hash, publish, subscribe) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET password_hash = excluded.password_hash, publish = excluded.publish, subscribe = excluded.subscribe',
      )
      .run(user.username, user.passwordHash, JSON.stringify(user.publish), JSON.stringify(user.subscribe))
    this.changed()
  }

  remove(username: string): boolean {
    const removed = this.db.prepare('DELETE FROM mqtt_users WHERE username = ?').run(username).changes > 0
    if (removed) this.changed()
    return removed
  }

  /**
   * Calls `listener` after users changed: through this store, or from another process (the CLI) as the database
   * watch reports it (foreign-writes.ts: a file-system event, then SQLite's `PRAGMA data_version`; nothing runs at
   * idle). Users from the config file change only at restart.
   */
  onChange(listener: () => void): () => void {
    const entry = () => listener()
    this.listeners.add(entry)
    const stopWatching = this.foreignWrites.onWrite(entry)
    return () => {
      this.listeners.delete(entry)
      stopWatching()
    }
  }

  private changed(): void {
    for (const listener of this.listeners) listener()
  }

  list(): MqttUser[] {
    const stored = (this.db.prepare('SELECT * FROM mqtt_users ORDER BY username').all() as Row[]).map(toUser)
    return [...this.fromConfig.values(), ...stored.filter((u) => !this.fromConfig.has(u.username))]
  }
}

function toUser(row: Row): MqttUser {
  return { username: row.username, passwordHash: row.password_hash, publish: JSON.parse(row.publish), subscribe: JSON.parse(row.subscribe) }
}
