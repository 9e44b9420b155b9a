/** NotifierStore in Durable Object SQLite: the one SQL store (src/stores/sql/) over the object's storage. */
import { SqlNotifierStore } from '../../src/stores/sql/notifier-store.js'
import { durableSqlDriver } from './sql-driver.js'

export class DurableNotifierStore extends SqlNotifierStore {
  constructor(storage: DurableObjectStorage) {
    super(durableSqlDriver(storage))
  }
}
