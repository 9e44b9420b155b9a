/** An in-memory SensorStore. */
import type { SensorEvent, SensorState } from '../notify/model.js'
import { MAX_HISTORY, type HistoryQuery, type SensorRecord, type SensorStore } from '../notify/ports.js'

export class MemorySensorStore implements SensorStore {
  private readonly records = new Map<string, SensorRecord>()
  private readonly states = new Map<string, SensorState>()
  private readonly log = new Map<string, SensorEvent[]>()
  /** Counts commits, to check that nothing is written when nothing changed. */
  commits = 0

  async list(): Promise<SensorRecord[]> {
    return [...this.records.values()].map((r) => structuredClone(r))
  }
  async get(id: string): Promise<SensorRecord | undefined> {
    const r = this.records.get(id)
    return r ? structuredClone(r) : undefined
  }
  async put(record: SensorRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record))
  }
  async remove(id: string): Promise<boolean> {
    this.states.delete(id)
    this.log.delete(id)
    return this.records.delete(id)
  }
  async state(id: string): Promise<SensorState | undefined> {
    const s = this.states.get(id)
    return s ? structuredClone(s) : undefined
  }
  async commit(id: string, state: SensorState, events: SensorEvent[]): Promise<void> {
    this.commits += 1
    this.states.set(id, structuredClone(state))
    const list = [...(this.log.get(id) ?? []), ...structuredClone(events)]
    this.log.set(id, list.slice(-MAX_HISTORY))
  }
  async events(id: string, query: HistoryQuery): Promise<SensorEvent[]> {
    const list = (this.log.get(id) ?? []).filter((e) => query.before === undefined || e.at < query.before)
    return structuredClone(list.slice().reverse().slice(0, query.limit))
  }
}
