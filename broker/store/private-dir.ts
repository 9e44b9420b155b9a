/**
 * The data directory holds token hashes, webhook secrets and header values, notifier tokens and every retained
 * message: only the user running Postbridge may read it. The directory is 0700 and its files 0600, including
 * the ones SQLite (-wal, -shm) and LevelDB create later, which the process umask covers.
 */
import { chmodSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Creates the directory 0700 (tightening an existing one) and sets a umask of 077 for what is created in it. */
export function preparePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  try {
    process.umask(0o077)
  } catch {
    // Worker threads cannot set a umask; tightenTree() below still covers the files that exist.
  }
}

/** Sets 0700 on the directories and 0600 on the files under `dir`, for files made before the umask (older versions). */
export function tightenTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      chmodSync(path, 0o700)
      tightenTree(path)
    } else if (entry.isFile()) {
      chmodSync(path, 0o600)
    }
  }
}
