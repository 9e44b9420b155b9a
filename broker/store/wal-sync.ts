/**
 * fsyncs a SQLite WAL file in the background. With synchronous=NORMAL a commit reaches the OS (it survives the process
 * being killed) but not the disk; calling sync() every so often bounds what a power cut can take to that interval,
 * without making every commit wait for the disk on the event loop.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs'

export type FsyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void

export class WalSync {
  /** Writes since the last fsync started. */
  private dirty = false
  private syncing: Promise<void> | undefined
  private fd: number | undefined

  constructor(
    private readonly walPath: string,
    private readonly fsyncFn: FsyncFn = fsync,
  ) {}

  /** Call after each write transaction. */
  touched(): void {
    this.dirty = true
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
