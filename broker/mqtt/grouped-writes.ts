/**
 * LevelDB writes grouped per tick: every put, del and batch asked for while no write is in flight goes into
 * one LevelDB batch, written on the next turn of the event loop; those asked for meanwhile go into the
 * next batch, written when the previous one is done. One batch is one trip to the libuv thread pool
 * instead of one per key, and writes land in the order they were asked for (a batch is applied in order,
 * and batches one after the other). Each caller's promise settles when its batch is written, so a QoS 1
 * message is still on disk (in the OS) before its PUBACK. A range clear first waits for the writes asked
 * for before it. Reads go straight to LevelDB: as before, they see what was written, not what is pending.
 */
import type { Level } from 'level'

type Db = Level<string, string>
type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string }
type Encoding = { valueEncoding?: string } | undefined

interface Pending {
  ops: Op[]
  encoding: Encoding
  waiters: { resolve: () => void; reject: (err: unknown) => void }[]
}

export class GroupedWrites {
  /** Batches not written yet, oldest first; only the last one still takes writes. */
  private readonly queue: Pending[] = []
  private running: Promise<void> | undefined

  constructor(private readonly db: Db) {}

  put(key: string, value: unknown, options?: Encoding): Promise<void> {
    return this.add([{ type: 'put', key, value }], options)
  }

  del(key: string): Promise<void> {
    return this.add([{ type: 'del', key }], undefined)
  }

  batch(): { put(key: string, value: unknown): unknown; del(key: string): unknown; write(): Promise<void> }
  batch(ops: Op[], options?: Encoding): Promise<void>
  batch(ops?: Op[], options?: Encoding): unknown {
    if (ops) return this.add(ops, options)
    const chained: Op[] = []
    const add = (ops: Op[]) => this.add(ops, undefined)
    return {
      put(key: string, value: unknown) {
        chained.push({ type: 'put', key, value })
        return this
      },
      del(key: string) {
        chained.push({ type: 'del', key })
        return this
      },
      write: () => add(chained),
    }
  }

  get(key: string, options?: Encoding) {
    return this.db.get(key, options as never)
  }

  values(options?: object) {
    return this.db.values(options as never)
  }

  async clear(range: object): Promise<void> {
    await this.settled()
    await this.db.clear(range as never)
  }

  close(): Promise<void> {
    return this.db.close()
  }

  /** Resolves once every write asked for so far is written (or failed). */
  async settled(): Promise<void> {
    while (this.running) await this.running
  }

  private add(ops: Op[], encoding: Encoding): Promise<void> {
    if (ops.length === 0) return Promise.resolve()
    let batch = this.queue.at(-1)
    // One batch has one value encoding: a write asking for another one starts the next batch.
    if (!batch || batch.encoding?.valueEncoding !== encoding?.valueEncoding) {
      batch = { ops: [], encoding, waiters: [] }
      this.queue.push(batch)
    }
    const promise = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }))
    for (const op of ops) batch.ops.push(op)
    this.running ??= this.run()
    return promise
  }

  private async run(): Promise<void> {
    // Let the writes of this tick join the first batch.
    await new Promise((r) => setImmediate(r))
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) {
      try {
        await this.db.batch(batch.ops as never, batch.encoding as never)
        for (const w of batch.waiters) w.resolve()
      } catch (err) {
        for (const w of batch.waiters) w.reject(err)
      }
    }
    this.running = undefined
  }
}
