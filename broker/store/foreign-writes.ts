/**
 * Tells when another connection committed to the SQLite database: the CLI (`postbridge user remove`, `token revoke`)
 * writes the file from another process, and the running node must see it. SQLite's `PRAGMA data_version` changes
 * when another connection commits, but asking it on a timer wakes an idle node several times a second for nothing.
 * So the file system says when to ask: fs.watch on the database's folder reports a write to the database or its
 * `-wal` file, and only then is data_version read; only a changed value is a foreign write. At idle nothing runs but
 * a slow fallback poll.
 */
import { watch as fsWatch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from '../../src/ports/logger.js'
import type { Db } from './db.js'

/**
 * After a file event, data_version is read this much later: a burst of writes (each commit writes the WAL several
 * times) costs one read, and a busy writer at most one read per this interval, as often as the old poll read it.
 */
export const COALESCE_MS = 250
/**
 * And once more this much later: the last event of a commit is its last WAL write, which comes before the commit's
 * fsync and before the commit shows in data_version. A commit whose fsync outlasts COALESCE_MS (an SD card under
 * load) is seen here.
 */
export const SETTLE_MS = 1000
/**
 * data_version is also read this often whatever the file system says: fs.watch may miss a change (a folder shared
 * from another kernel, a commit whose fsync outlasted SETTLE_MS), and then a CLI write is still seen within this.
 * SQLite's WAL mode needs every connection on one kernel (shared memory), where inotify sees every write, so this
 * is a backstop, not the path: 5 s keeps an idle node at one wakeup per 5 s, too rare for V8 to optimise timer
 * code for, while a revocation or a removed user missed by the watch still ends within seconds.
 */
export const FALLBACK_POLL_MS = 5000
/** The poll when the folder cannot be watched at all (no inotify watch left): as often as before the watch. */
export const FAST_POLL_MS = 250

export interface ForeignWriteWatch {
  /** Calls `listener` after another connection committed to the database; the returned function stops calling it. */
  onWrite(listener: () => void): () => void
  /** Stops watching for good: watcher closed, timers cleared, listeners dropped. */
  close(): void
}

/** What fs.watch returns, as far as this uses it. */
export interface FileWatcher {
  on(event: 'error', listener: (err: Error) => void): unknown
  close(): void
}

export type WatchFn = (
  path: string,
  options: { persistent: false },
  listener: (event: string, filename: string | Buffer | null) => void,
) => FileWatcher

export interface ForeignWriteWatchOptions {
  /** fs.watch; injected by tests. */
  watch?: WatchFn
  log?: Logger
}

/** Watches `db` for commits by other connections; starts with the first listener and stops after the last leaves. */
export function watchForeignWrites(db: Db, options: ForeignWriteWatchOptions = {}): ForeignWriteWatch {
  const watch: WatchFn = options.watch ?? fsWatch
  const { log } = options
  const listeners = new Set<() => void>()
  const names = new Set([basename(db.name), `${basename(db.name)}-wal`])
  let version: number | undefined
  let watcher: FileWatcher | undefined
  let poll: ReturnType<typeof setInterval> | undefined
  let pending: ReturnType<typeof setTimeout> | undefined
  /** Whether the pending read is the settling one (a new event brings it forward). */
  let pendingSettles = false
  let closed = false

  /** data_version changes when another connection commits; undefined once the database is closed. */
  const readVersion = (): number | undefined => (db.open ? (db.pragma('data_version', { simple: true }) as number) : undefined)

  const look = () => {
    const now = readVersion()
    if (now === undefined || now === version) return
    version = now
    for (const listener of [...listeners]) {
      try {
        listener()
      } catch (err) {
        log?.error({ err: String(err) }, 'error while handling a write by another process')
      }
    }
  }

  const readIn = (ms: number, settles: boolean) => {
    if (pending) clearTimeout(pending)
    pendingSettles = settles
    pending = setTimeout(() => {
      pending = undefined
      look()
      if (!settles && listeners.size > 0) readIn(SETTLE_MS, true)
    }, ms)
    pending.unref()
  }

  const fileChanged = (_event: string, filename: string | Buffer | null) => {
    // Some platforms do not name the file: then any change in the folder counts.
    if (filename && !names.has(filename.toString())) return
    if (pending && !pendingSettles) return
    readIn(COALESCE_MS, false)
  }

  const pollEvery = (ms: number) => {
    if (poll) clearInterval(poll)
    poll = setInterval(look, ms)
    poll.unref()
  }

  const start = () => {
    version = readVersion()
    // Nobody else can write an in-memory database.
    if (db.memory) return
    try {
      const w = watch(dirname(db.name), { persistent: false }, fileChanged)
      w.on('error', (err) => {
        log?.warn({ err: String(err) }, 'cannot watch the database folder any more; looking for writes by other processes on a timer')
        stopWatcher()
        pollEvery(FAST_POLL_MS)
      })
      watcher = w
      pollEvery(FALLBACK_POLL_MS)
    } catch (err) {
      log?.warn({ err: String(err) }, 'cannot watch the database folder; looking for writes by other processes on a timer')
      pollEvery(FAST_POLL_MS)
    }
  }

  const stopWatcher = () => {
    try {
      watcher?.close()
    } catch {
      // Already closed by its error.
    }
    watcher = undefined
  }

  const stop = () => {
    stopWatcher()
    if (poll) clearInterval(poll)
    if (pending) clearTimeout(pending)
    poll = pending = undefined
  }

  return {
    onWrite(listener) {
      if (closed) return () => {}
      const first = listeners.size === 0
      // A function added twice is still two listeners: each gets its own stop.
      const entry = () => listener()
      listeners.add(entry)
      if (first) start()
      return () => {
        if (!listeners.delete(entry)) return
        if (listeners.size === 0) stop()
      }
    },
    close() {
      closed = true
      listeners.clear()
      stop()
    },
  }
}
