/** The SQLite file that holds Postbridge's own records (tokens, MQTT users, webhooks and their outbox, sensors, events). */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type Db = Database.Database

/** Opens (creating when needed) `<dataDir>/postbridge.db`. Each store creates its own tables with CREATE TABLE IF NOT EXISTS. */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'postbridge.db'))
  // WAL: readers never block the writer; synchronous=FULL so a committed row survives power loss, not only a crash.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  return db
}
