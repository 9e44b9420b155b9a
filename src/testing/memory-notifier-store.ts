/** An in-memory NotifierStore. */
import { MAX_HISTORY, type DeliveryRecord, type HistoryQuery, type NotifierRecord, type NotifierStore } from '../notify/ports.js'

export class MemoryNotifierStore implements NotifierStore {
  private readonly records = new Map<string, NotifierRecord>()
  /** Every delivery record, in order, for tests to read. */
  readonly deliveryLog: DeliveryRecord[] = []

  async list(): Promise<NotifierRecord[]> {
    return [...this.records.values()].map((r) => structuredClone(r))
  }
  async get(id: string): Promise<NotifierRecord | undefined> {
    const r = this.records.get(id)
    return r ? structuredClone(r) : undefined
  }
  async put(record: NotifierRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record))
  }
  async remove(id: string): Promise<boolean> {
    for (let i = this.deliveryLog.length - 1; i >= 0; i--) if (this.deliveryLog[i]!.notifierId === id) this.deliveryLog.splice(i, 1)
    return this.records.delete(id)
  }
  async recordDelivery(record: DeliveryRecord): Promise<void> {
    this.deliveryLog.push(structuredClone(record))
    const mine = this.deliveryLog.filter((d) => d.notifierId === record.notifierId)
    if (mine.length > MAX_HISTORY) this.deliveryLog.splice(this.deliveryLog.indexOf(mine[0]!), 1)
  }
  async deliveries(notifierId: string, query: HistoryQuery): Promise<DeliveryRecord[]> {
    return structuredClone(
      this.deliveryLog
        .filter((d) => d.notifierId === notifierId && (query.before === undefined || d.at < query.before))
        .reverse()
        .slice(0, query.limit),
    )
  }
}
