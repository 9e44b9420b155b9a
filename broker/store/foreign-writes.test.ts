import { watch as fsWatch } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RecordingLogger } from '../../src/testing/recording-logger.js'
import { tempDir } from '../../test/fixtures/temp-dir.js'
import { openDatabase, type Db } from './db.js'
import {
  COALESCE_MS,
  FALLBACK_POLL_MS,
  FAST_POLL_MS,
  SETTLE_MS,
  watchForeignWrites,
  type FileWatcher,
  type ForeignWriteWatch,
  type WatchFn,
} from './foreign-writes.js'

const open: Db[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const db of open.splice(0)) db.close()
})

/** The node's connection and another one on the same file, as the CLI opens it; each with a table to write. */
function twoConnections(): { own: Db; other: Db } {
  const dir = tempDir('pb-foreign-writes-')
  const own = openDatabase(dir)
  own.exec('CREATE TABLE t (n INTEGER)')
  const other = openDatabase(dir)
  open.push(other, own)
  return { own, other }
}

const write = (db: Db) => db.prepare('INSERT INTO t (n) VALUES (1)').run()

/** Only the timers are fake: file events and setImmediate stay real, so the test decides when each read runs. */
const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })

/** fs.watch, counting the events it delivers. */
function countingWatch() {
  const counted = { events: 0 }
  const watch: WatchFn = (path, options, listener) =>
    fsWatch(path, options, (event, filename) => {
      counted.events++
      listener(event, filename)
    })
  return { counted, watch }
}

/** Waits (on real turns of the event loop, not timers) until the file system has reported something more. */
async function nextEvent(counted: { events: number }): Promise<void> {
  const before = counted.events
  while (counted.events === before) await new Promise((resolve) => setImmediate(resolve))
}

/** How many writes `writes` has reported so far, counted from the listener this adds. */
function countReports(writes: ForeignWriteWatch): { count: number } {
  const reported = { count: 0 }
  writes.onWrite(() => reported.count++)
  return reported
}

interface FakeWatcher {
  closed: boolean
  error?: (err: Error) => void
  /** Reports a change to `filename` in the watched folder. */
  emit: (filename: string) => void
}

/** A watcher that reports only what the test emits: by default nothing, as on a file system without change notifications. */
function silentWatch() {
  const made: FakeWatcher[] = []
  const watch: WatchFn = (_path, _options, listener) => {
    const w: FakeWatcher = { closed: false, emit: (filename) => listener('change', filename) }
    made.push(w)
    const watcher: FileWatcher = {
      on: (_event, listener) => (w.error = listener),
      close: () => (w.closed = true),
    }
    return watcher
  }
  return { made, watch }
}

describe('watchForeignWrites', () => {
  it('reports a commit by another connection, through the file system', async () => {
    const { own, other } = twoConnections()
    const writes = watchForeignWrites(own)
    const seen = new Promise<void>((resolve) => writes.onWrite(resolve))
    write(other)
    await seen
    writes.close()
  })

  it('does not report a commit on its own connection, and reads data_version only after a file event', async () => {
    const { own, other } = twoConnections()
    const { counted, watch } = countingWatch()
    fakeTimers()
    const pragma = vi.spyOn(own, 'pragma')
    const writes = watchForeignWrites(own, { watch })
    const reported = countReports(writes)
    const atStart = pragma.mock.calls.length

    write(own)
    await nextEvent(counted)
    expect(pragma.mock.calls.length).toBe(atStart)
    await vi.advanceTimersByTimeAsync(COALESCE_MS + SETTLE_MS)
    expect(pragma.mock.calls.length).toBeGreaterThan(atStart)
    expect(reported.count).toBe(0)

    write(other)
    await nextEvent(counted)
    await vi.advanceTimersByTimeAsync(COALESCE_MS)
    expect(reported.count).toBe(1)
    writes.close()
  })

  it('reports a burst of 100 commits once, not once per commit', async () => {
    const { own, other } = twoConnections()
    const { counted, watch } = countingWatch()
    fakeTimers()
    const writes = watchForeignWrites(own, { watch })
    const reported = countReports(writes)
    for (let i = 0; i < 100; i++) {
      write(other)
      await nextEvent(counted)
    }
    expect(counted.events).toBeGreaterThanOrEqual(100)
    await vi.advanceTimersByTimeAsync(COALESCE_MS + SETTLE_MS + FALLBACK_POLL_MS)
    expect(reported.count).toBe(1)
    writes.close()
  })

  it('runs nothing at idle but the slow fallback poll, and reports nothing', async () => {
    const { own } = twoConnections()
    fakeTimers()
    const pragma = vi.spyOn(own, 'pragma')
    const writes = watchForeignWrites(own)
    const reported = countReports(writes)
    const atStart = pragma.mock.calls.length
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(FALLBACK_POLL_MS - 1)
    expect(pragma.mock.calls.length).toBe(atStart)
    await vi.advanceTimersByTimeAsync(10 * FALLBACK_POLL_MS)
    expect(pragma.mock.calls.length).toBe(atStart + 10)
    expect(reported.count).toBe(0)
    writes.close()
  })

  it('reads once more a while after a file event, for a commit that shows in data_version after its last event', async () => {
    const { own, other } = twoConnections()
    const { made, watch } = silentWatch()
    fakeTimers()
    const writes = watchForeignWrites(own, { watch })
    const reported = countReports(writes)
    made[0]!.emit('postbridge.db-wal')
    await vi.advanceTimersByTimeAsync(COALESCE_MS)
    // The commit's fsync outlasted the first read: it becomes visible now, with no event of its own.
    write(other)
    expect(reported.count).toBe(0)
    await vi.advanceTimersByTimeAsync(SETTLE_MS)
    expect(reported.count).toBe(1)
    expect(vi.getTimerCount()).toBe(1)
    writes.close()
  })

  it('reads nothing for a change to another file in the folder', async () => {
    const { own } = twoConnections()
    const { made, watch } = silentWatch()
    fakeTimers()
    const pragma = vi.spyOn(own, 'pragma')
    const writes = watchForeignWrites(own, { watch })
    writes.onWrite(() => {})
    made[0]!.emit('broker')
    made[0]!.emit('postbridge.db-shm')
    expect(vi.getTimerCount()).toBe(1)
    made[0]!.emit('postbridge.db')
    expect(vi.getTimerCount()).toBe(2)
    await vi.advanceTimersByTimeAsync(COALESCE_MS)
    expect(pragma.mock.calls.filter(([p]) => p === 'data_version')).toHaveLength(2)
    writes.close()
  })

  it('still sees a commit when the file system reports nothing, by the slow fallback poll', async () => {
    const { own, other } = twoConnections()
    const { watch } = silentWatch()
    fakeTimers()
    const writes = watchForeignWrites(own, { watch })
    const reported = countReports(writes)
    write(other)
    await vi.advanceTimersByTimeAsync(FALLBACK_POLL_MS - 1)
    expect(reported.count).toBe(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(reported.count).toBe(1)
    writes.close()
  })

  it('polls as often as before when the folder cannot be watched at all, or its watcher fails', async () => {
    const { own, other } = twoConnections()
    fakeTimers()
    const log = new RecordingLogger()
    const throwing: WatchFn = () => {
      throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
    }
    const unwatchable = watchForeignWrites(own, { watch: throwing, log })
    const reported = { count: 0 }
    unwatchable.onWrite(() => reported.count++)
    write(other)
    await vi.advanceTimersByTimeAsync(FAST_POLL_MS)
    expect(reported.count).toBe(1)
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1)
    unwatchable.close()

    const { made, watch } = silentWatch()
    const failing = watchForeignWrites(own, { watch, log })
    failing.onWrite(() => reported.count++)
    made[0]!.error!(new Error('EMFILE'))
    expect(made[0]!.closed).toBe(true)
    write(other)
    await vi.advanceTimersByTimeAsync(FAST_POLL_MS)
    expect(reported.count).toBe(2)
    failing.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('releases its watcher and timers when the last listener leaves, and on close', async () => {
    const { own } = twoConnections()
    const { made, watch } = silentWatch()
    fakeTimers()
    const writes = watchForeignWrites(own, { watch })
    const stopA = writes.onWrite(() => {})
    const stopB = writes.onWrite(() => {})
    expect(made).toHaveLength(1)
    stopA()
    expect(made[0]!.closed).toBe(false)
    stopB()
    expect(made[0]!.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)

    writes.onWrite(() => {})
    expect(made).toHaveLength(2)
    expect(vi.getTimerCount()).toBe(1)
    writes.close()
    expect(made[1]!.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    writes.onWrite(() => {})
    expect(made).toHaveLength(2)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('releases a real fs.watch and a pending read on close', async () => {
    const { own, other } = twoConnections()
    const { counted, watch } = countingWatch()
    fakeTimers()
    const writes = watchForeignWrites(own, { watch })
    const reported = countReports(writes)
    write(other)
    await nextEvent(counted)
    expect(vi.getTimerCount()).toBe(2)
    writes.close()
    expect(vi.getTimerCount()).toBe(0)
    const after = counted.events
    // A watcher of the test's own on the same folder: libuv hands one inotify event to every watcher of the folder at
    // once, so when this one has it, a watcher still open would have it too.
    const witness = countingWatch()
    const witnessWatcher = witness.watch(dirname(own.name), { persistent: false }, () => {})
    write(other)
    await nextEvent(witness.counted)
    witnessWatcher.close()
    expect(counted.events).toBe(after)
    expect(reported.count).toBe(0)
  })
})
