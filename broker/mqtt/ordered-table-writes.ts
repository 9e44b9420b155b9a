/**
 * Puts and deletes on one of Postbridge's own tables in the broker's LevelDB, run one at a time. LevelDB finishes
 * concurrent writes in any order, and the put then the delete of one key (a session's record made, then dropped)
 * must land in the order they were asked for. A failed write is logged, not thrown: these records sit beside a
 * session, and writing one must not end a connection.
 */
import type { Logger } from '../../src/ports/logger.js'
import type { BrokerStore } from './persistence.js'

export class OrderedTableWrites {
  private writes: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly table: ReturnType<BrokerStore['table']>,
    private readonly log: Logger,
    /** The log message of a failed write, naming what was not saved. */
    private readonly failure: string,
  ) {}

  put(key: string, value: string): void {
    this.write(() => this.table.put(key, value))
  }

  del(key: string): void {
    this.write(() => this.table.del(key))
  }

  /** Resolves once the writes asked for so far are done. */
  flush(): Promise<void> {
    return this.writes.then(() => undefined)
  }

  private write(op: () => Promise<void>): void {
    this.writes = this.writes.then(op).catch((err: unknown) => this.log.error({ err }, this.failure))
  }
}
