/**
 * fsyncs a SQLite WAL file in the background. With synchronous=NORMAL a commit reaches the OS (it survives the process
 * being killed) but not the disk; an fsync at most `withinMs` after each write bounds what a power cut can take to that
 * window, without making every commit wait for the disk on the event loop.
 *
 * The fsync is scheduled by the write, not by a clock: a node with nothing to write never wakes up for it. (A timer
 * every 100 ms woke an idle node ten times a second, which on a Raspberry Pi is CPU and power spent on nothing, and
 * made V8 optimise Node's timer functions within a minute of idling: ~4 MB of RSS for the optimising compiler.)
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs'

export type FsyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void

export interface WalSyncOptions {
  /** How long after a write its fsync may wait; 0 or absent: only sync() and close() fsync. */
  withinMs?: number
  /** Injected for tests. */
  fsync?: FsyncFn
}

export class WalSync {
  /** Writes since the last fsync started. */
  private dirty = false
  private syncing: Promise<void> | undefined
  private fd: number | undefined
  /** The fsync a write scheduled, until it starts. */
  private scheduled: ReturnType<typeof setTimeout> | undefined
  private readonly fsyncFn: FsyncFn
  private readonly withinMs: number

  constructor(
    private readonly walPath: string,
    options: WalSyncOptions = {},
  ) {
    this.fsyncFn = options.fsync ?? fsync
    this.withinMs = options.withinMs ?? 0
  }

  /** Call after each write transaction: schedules its fsync, unless one is scheduled already. */
  touched(): void {
    this.dirty = true
    if (this.withinMs <= 0 || this.scheduled) return
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined
      void this.sync()
    }, this.withinMs)
    // A pending fsync never keeps the process alive: close() makes the last one.
    this.scheduled.unref()
  }

  /** Resolves once every write touched() so far is on disk (or the fsync failed, and the next call retries). */
  sync(): Promise<void> {
    if (this.syncing) return this.syncing.then(() => this.sync())
    if (!this.dirty) return Promise.resolve()
    const fd = this.open()
    if (fd === undefined) return Promise.resolve()
    this.dirty = false
    const done = new Promise<void>((resolve) => {
      // In the libuv threadpool: the event loop (and the broker) go on while the disk works.
      this.fsyncFn(fd, (err) => {
        if (err) this.dirty = true
        resolve()
      })
    })
    this.syncing = done
    // Registered before any caller's then(), so a caller chaining another sync() sees it cleared.
    void done.then(() => {
      if (this.syncing === done) this.syncing = undefined
    })
    return done
  }

  /** A last synchronous fsync, then the file descriptor is closed. */
  async close(): Promise<void> {
    clearTimeout(this.scheduled)
    this.scheduled = undefined
    await this.syncing
    if (this.fd === undefined) return
    if (this.dirty) fsyncSync(this.fd)
    closeSync(this.fd)
    this.fd = undefined
  }

  private open(): number | undefined {
    if (this.fd !== undefined) return this.fd
    try {
      // One fd for the life of the store: SQLite reuses the -wal file (same inode) while a connection is open.
      this.fd = openSync(this.walPath, 'r+')
    } catch {
      return undefined // no WAL yet: nothing to sync
    }
    return this.fd
  }
}
