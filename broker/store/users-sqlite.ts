/** MQTT users: those declared in the config file, then those added with `postbridge user add` (SQLite). */
import type { MqttUser, UserDirectory } from '../mqtt/users.js'
import type { Db } from './db.js'

interface Row {
  username: string
  password_hash: string
  publish: string
  subscribe: string
}

/** How often another process's writes are looked for: a removed user is cut off within a second. */
const FOREIGN_WRITE_POLL_MS = 400

export class SqliteUserStore implements UserDirectory {
  private readonly fromConfig: Map<string, MqttUser>
  private readonly listeners = new Set<() => void>()
  private poll: ReturnType<typeof setInterval> | undefined
  private dataVersion = 0

  constructor(
    private readonly db: Db,
    configured: MqttUser[] = [],
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
   * Calls `listener` after users changed: through this store, or from another process (the CLI) as
   * SQLite's `PRAGMA data_version` shows, polled a few times a second (one cheap read, no file access
   * beyond the shared-memory index). Users from the config file change only at restart.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    if (!this.poll) {
      this.dataVersion = this.readDataVersion() ?? 0
      this.poll = setInterval(() => this.lookForForeignWrites(), FOREIGN_WRITE_POLL_MS)
      this.poll.unref()
    }
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0 && this.poll) {
        clearInterval(this.poll)
        this.poll = undefined
      }
    }
  }

  private lookForForeignWrites(): void {
    const version = this.readDataVersion()
    if (version === undefined || version === this.dataVersion) return
    this.dataVersion = version
    this.changed()
  }

  /** data_version changes when another connection commits to the database; undefined once it is closed. */
  private readDataVersion(): number | undefined {
    if (!this.db.open) return undefined
    return this.db.pragma('data_version', { simple: true }) as number
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
