/**
 * The backup file: a copy of postbridge.db taken with SQLite's online backup, plus two tables holding the broker's
 * LevelDB entries and what wrote them. One ordinary SQLite file, so it can be inspected with the sqlite3 shell.
 */
import { chmodSync, existsSync, readdirSync } from 'node:fs'
import { copyFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Level } from 'level'
import type { Db } from '../store/db.js'

export const BACKUP_CONTENT_TYPE = 'application/vnd.sqlite3'
/** Bumped when the layout of a backup changes; restore refuses versions it does not know. */
const FORMAT = 1
const BROKER_TABLE = 'postbridge_backup_broker'
const META_TABLE = 'postbridge_backup_meta'
/** Rows per transaction while copying LevelDB entries: large enough to be fast, small enough to keep memory flat. */
const BATCH = 500

export class BackupError extends Error {}

/**
 * Writes a backup of a running node to `path`. The broker snapshot is taken first (a LevelDB iterator holds one from
 * its creation), then SQLite's online backup copies the records while writers carry on.
 */
export async function writeBackupFile(
  db: Db,
  brokerEntries: AsyncIterable<[Uint8Array, Uint8Array]> | undefined,
  path: string,
  opts: { omitTokenIds?: string[] } = {},
): Promise<void> {
  const entries = brokerEntries?.[Symbol.asyncIterator]()
  try {
    await db.backup(path)
    chmodSync(path, 0o600)
    const out = new Database(path)
    try {
      out.pragma('journal_mode = DELETE')
      const omit = out.prepare('DELETE FROM tokens WHERE id = ?')
      for (const id of opts.omitTokenIds ?? []) omit.run(id)
      out.exec(`CREATE TABLE ${META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE ${BROKER_TABLE} (key BLOB PRIMARY KEY, value BLOB NOT NULL);`)
      const meta = out.prepare(`INSERT INTO ${META_TABLE} (key, value) VALUES (?, ?)`)
      meta.run('format', String(FORMAT))
      meta.run('createdAt', new Date().toISOString())
      meta.run('broker', entries ? 'embedded' : 'external')
      if (entries) {
        const insert = out.prepare(`INSERT INTO ${BROKER_TABLE} (key, value) VALUES (?, ?)`)
        const flush = out.transaction((rows: [Uint8Array, Uint8Array][]) => {
          for (const [k, v] of rows) insert.run(Buffer.from(k.buffer, k.byteOffset, k.byteLength), Buffer.from(v.buffer, v.byteOffset, v.byteLength))
        })
        let rows: [Uint8Array, Uint8Array][] = []
        for (let next = await entries.next(); !next.done; next = await entries.next()) {
          rows.push(next.value)
          if (rows.length >= BATCH) {
            flush(rows)
            rows = []
          }
        }
        flush(rows)
      }
    } finally {
      out.close()
    }
  } catch (err) {
    await rm(path, { force: true })
    throw err
  } finally {
    await entries?.return?.()
  }
}

/** Puts a backup back into an empty data directory: postbridge.db, then the broker's LevelDB. */
export async function restoreBackupFile(file: string, dataDir: string): Promise<{ brokerEntries: number }> {
  if (!existsSync(file)) throw new BackupError(`no backup file ${file}`)
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    throw new BackupError(`data directory ${dataDir} is not empty: restore only into a new one`)
  let source: Database.Database
  try {
    source = new Database(file, { readonly: true, fileMustExist: true })
    const format = (source.prepare(`SELECT value FROM ${META_TABLE} WHERE key = 'format'`).get() as { value: string } | undefined)?.value
    if (format !== String(FORMAT)) throw new BackupError(`${file} is a backup of format ${format}, this version restores format ${FORMAT}`)
  } catch (err) {
    if (err instanceof BackupError) throw err
    throw new BackupError(`${file} is not a Postbridge backup (${err instanceof Error ? err.message : String(err)})`)
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const dbPath = join(dataDir, 'postbridge.db')
  let brokerEntries = 0
  try {
    await copyFile(file, dbPath)
    chmodSync(dbPath, 0o600)
    const level = new Level<Uint8Array, Uint8Array>(join(dataDir, 'broker'), { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await level.open()
      let batch = level.batch()
      for (const row of source.prepare(`SELECT key, value FROM ${BROKER_TABLE}`).iterate() as IterableIterator<{ key: Buffer; value: Buffer }>) {
        batch.put(row.key, row.value)
        if (++brokerEntries % BATCH === 0) {
          await batch.write()
          batch = level.batch()
        }
      }
      await batch.write()
    } finally {
      await level.close()
    }
    const restored = new Database(dbPath)
    try {
      restored.exec(`DROP TABLE ${BROKER_TABLE}; DROP TABLE ${META_TABLE};`)
      restored.pragma('journal_mode = WAL')
    } finally {
      restored.close()
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  } finally {
    source.close()
  }
  return { brokerEntries }
}
