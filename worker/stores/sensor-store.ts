/** SensorStore in Durable Object SQLite: the one SQL store (src/stores/sql/) over the object's storage. */
import { SqlSensorStore } from '../../src/stores/sql/sensor-store.js'
import { durableSqlDriver } from './sql-driver.js'

export class DurableSensorStore extends SqlSensorStore {
  constructor(storage: DurableObjectStorage) {
    super(durableSqlDriver(storage))
  }
}
