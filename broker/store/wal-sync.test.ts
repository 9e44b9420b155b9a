import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
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

describe('WalSync', () => {
  it('fsyncs only after writes, once per batch of writes', async () => {
    const calls: number[] = []
    const wal = new WalSync(walFile(), (fd, done) => (calls.push(fd), done(null)))
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
    const wal = new WalSync(walFile(), slow)
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
    const wal = new WalSync(walFile(), (_fd, done) => {
      calls.push(fail)
      done(fail ? Object.assign(new Error('EIO'), { code: 'EIO' }) : null)
      fail = false
    })
    wal.touched()
    await wal.sync()
    await wal.sync()
    expect(calls).toEqual([true, false])
    await wal.close()
  })

  it('does nothing while there is no WAL file yet', async () => {
    const calls: number[] = []
    const wal = new WalSync(join(tmpdir(), `pb-missing-${process.pid}-wal`), (fd, done) => (calls.push(fd), done(null)))
    wal.touched()
    await wal.sync()
    expect(calls).toEqual([])
    await wal.close()
  })
})
