import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WalSync, type FsyncFn } from './wal-sync.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function walFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pb-wal-'))
  dirs.push(dir)
  const path = join(dir, 'x.db-wal')
  writeFileSync(path, 'frames')
  return path
}

/** An fsync that succeeds at once, and the file descriptors it was called with. */
function recordingFsync(): { calls: number[]; fsync: FsyncFn } {
  const calls: number[] = []
  return {
    calls,
    fsync: (fd, done) => {
      calls.push(fd)
      done(null)
    },
  }
}

describe('WalSync', () => {
  it('fsyncs only after writes, once per batch of writes', async () => {
    const { calls, fsync } = recordingFsync()
    const wal = new WalSync(walFile(), { fsync })
    await wal.sync()
    expect(calls).toHaveLength(0)
    wal.touched()
    wal.touched()
    await wal.sync()
    await wal.sync()
    expect(calls).toHaveLength(1)
    await wal.close()
  })

  it('covers writes made while an fsync runs with one more fsync', async () => {
    const pending: (() => void)[] = []
    const slow: FsyncFn = (_fd, done) => pending.push(() => done(null))
    const wal = new WalSync(walFile(), { fsync: slow })
    wal.touched()
    const first = wal.sync()
    wal.touched() // after the fsync started: not covered by it
    const second = wal.sync()
    pending.shift()!()
    await first
    await new Promise((r) => setImmediate(r))
    expect(pending).toHaveLength(1)
    pending.shift()!()
    await second
    await wal.close()
  })

  it('tries again after a failed fsync', async () => {
    let fail = true
    const calls: boolean[] = []
    const wal = new WalSync(walFile(), {
      fsync: (_fd, done) => {
        calls.push(fail)
        done(fail ? Object.assign(new Error('EIO'), { code: 'EIO' }) : null)
        fail = false
      },
    })
    wal.touched()
    await wal.sync()
    await wal.sync()
    expect(calls).toEqual([true, false])
    await wal.close()
  })

  it('does nothing while there is no WAL file yet', async () => {
    const { calls, fsync } = recordingFsync()
    const wal = new WalSync(join(tmpdir(), `pb-missing-${process.pid}-wal`), { fsync })
    wal.touched()
    await wal.sync()
    expect(calls).toEqual([])
    await wal.close()
  })

  describe('scheduled by writes (withinMs)', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('fsyncs a write within withinMs, once for all the writes of that window, with no one calling sync()', async () => {
      vi.useFakeTimers()
      const { calls, fsync } = recordingFsync()
      const wal = new WalSync(walFile(), { withinMs: 100, fsync })
      wal.touched()
      await vi.advanceTimersByTimeAsync(50)
      wal.touched()
      await vi.advanceTimersByTimeAsync(49)
      expect(calls).toHaveLength(0)
      await vi.advanceTimersByTimeAsync(1)
      expect(calls).toHaveLength(1)
      await vi.advanceTimersByTimeAsync(1000)
      expect(calls).toHaveLength(1)
      await wal.close()
    })

    it('holds no timer while nothing was written: an idle node does not wake up for it', async () => {
      vi.useFakeTimers()
      const wal = new WalSync(walFile(), { withinMs: 100, fsync: (_fd, done) => done(null) })
      expect(vi.getTimerCount()).toBe(0)
      wal.touched()
      expect(vi.getTimerCount()).toBe(1)
      await vi.advanceTimersByTimeAsync(100)
      expect(vi.getTimerCount()).toBe(0)
      await wal.close()
    })

    it('schedules one more fsync for a write made while an fsync runs', async () => {
      vi.useFakeTimers()
      const pending: (() => void)[] = []
      const wal = new WalSync(walFile(), { withinMs: 100, fsync: (_fd, done) => pending.push(() => done(null)) })
      wal.touched()
      await vi.advanceTimersByTimeAsync(100)
      expect(pending).toHaveLength(1)
      wal.touched() // after the fsync started: not covered by it
      pending.shift()?.()
      await vi.advanceTimersByTimeAsync(100)
      expect(pending).toHaveLength(1)
      pending.shift()?.()
      await wal.close()
    })

    it('lets go of a scheduled fsync at close, after making it itself', async () => {
      vi.useFakeTimers()
      const { calls, fsync } = recordingFsync()
      const wal = new WalSync(walFile(), { withinMs: 60_000, fsync })
      wal.touched()
      await wal.close()
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(60_000)
      expect(calls).toHaveLength(0) // close() fsynced synchronously, not through the injected background fsync
    })
  })
})
