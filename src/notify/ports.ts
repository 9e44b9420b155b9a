/** What the notifier needs from a runtime (stores, a scheduler) and what it offers the routes (NotifyService). */
import type { NotifierSpec, SensorSpec } from './config.js'
import type { SensorEvent, SensorState } from './model.js'

/** Where a definition came from: the config file owns its entries, the API may only change its own. */
export type Source = 'config' | 'api'

export interface RecordMeta {
  source: Source
  createdAt: number
  updatedAt: number
}

export type SensorRecord = SensorSpec & RecordMeta
export type NotifierRecord = NotifierSpec & RecordMeta

/** Stores keep at most this many events per sensor and deliveries per notifier, dropping the oldest. */
export const MAX_HISTORY = 1000

export interface HistoryQuery {
  limit: number
  /** Only entries strictly older than this time (ms), for paging back. */
  before?: number
}

export interface SensorStore {
  list(): Promise<SensorRecord[]>
  get(id: string): Promise<SensorRecord | undefined>
  /** Inserts or replaces the definition; state and events stay. */
  put(record: SensorRecord): Promise<void>
  /** Removes the sensor with its state and events; false when there was none. */
  remove(id: string): Promise<boolean>
  state(id: string): Promise<SensorState | undefined>
  /** Saves the state and appends the events in one transaction, so a crash never keeps one without the other. */
  commit(id: string, state: SensorState, events: SensorEvent[]): Promise<void>
  /** Newest first. */
  events(id: string, query: HistoryQuery): Promise<SensorEvent[]>
}

export type DeliveryOutcome = 'sent' | 'retrying' | 'failed' | 'held' | 'test'

/** One attempt to deliver one alert through one notifier (or the decision not to try). */
export interface DeliveryRecord {
  id: string
  notifierId: string
  alertId: string
  title: string
  eventId?: string
  attempt: number
  at: number
  outcome: DeliveryOutcome
  ok: boolean
  status?: number
  error?: string
  retryInMs?: number
}

export interface NotifierStore {
  list(): Promise<NotifierRecord[]>
  get(id: string): Promise<NotifierRecord | undefined>
  put(record: NotifierRecord): Promise<void>
  /** Removes the notifier and its delivery log; false when there was none. */
  remove(id: string): Promise<boolean>
  recordDelivery(record: DeliveryRecord): Promise<void>
  /** Newest first. */
  deliveries(notifierId: string, query: HistoryQuery): Promise<DeliveryRecord[]>
}

/** GET /v1/sensors: a sensor's definition (as written) and what is known about it. */
export interface SensorView {
  id: string
  name: string
  topic: string
  kind: 'door'
  heartbeat?: string
  batteryLow?: number | string
  notify: string[]
  quietHours?: { from: string; to: string }
  payload: SensorSpec['payload']
  debounce: string
  willTopic?: string
  alertOn?: SensorSpec['alertOn']
  click?: string
  actions?: SensorSpec['actions']
  source: Source
  state: 'open' | 'closed' | null
  battery: { value: number; unit: 'V' | '%'; at: string } | null
  batteryDaysLeft: number | null
  lastSeen: string | null
  online: boolean | null
  silent: boolean
  lastWill: string | null
}

/** A notifier as the API shows it: plain secrets replaced by "********", `env:NAME` references shown as written. */
export type NotifierView = Record<string, unknown> & { id: string; type: NotifierSpec['type']; source: Source }

export interface AttemptResult {
  ok: boolean
  status?: number
  error?: string
  /** Whether trying again later could help (network error, 5xx, 408, 429). */
  retryable: boolean
  retryAfterMs?: number
}

export interface EventView {
  id: string
  kind: SensorEvent['kind']
  at: string
  door?: 'open' | 'closed'
  battery?: { value: number; unit: 'V' | '%' }
  details?: Record<string, number | string | boolean>
}

export interface DeliveryView extends Omit<DeliveryRecord, 'at'> {
  at: string
}

/** What the /v1/sensors and /v1/notifiers routes use; errors are ApiErrors (404, 409, 400). */
export interface NotifyService {
  listSensors(): Promise<SensorView[]>
  getSensor(id: string): Promise<SensorView>
  createSensor(spec: SensorSpec): Promise<SensorView>
  replaceSensor(id: string, spec: SensorSpec): Promise<SensorView>
  deleteSensor(id: string): Promise<void>
  sensorEvents(id: string, query: HistoryQuery): Promise<EventView[]>
  listNotifiers(): Promise<NotifierView[]>
  getNotifier(id: string): Promise<NotifierView>
  createNotifier(spec: NotifierSpec): Promise<NotifierView>
  replaceNotifier(id: string, spec: NotifierSpec): Promise<NotifierView>
  deleteNotifier(id: string): Promise<void>
  /** Sends a test alert now, once, without rate limit or retry, and says what happened. */
  testNotifier(id: string): Promise<AttemptResult>
  deliveries(id: string, query: HistoryQuery): Promise<DeliveryView[]>
}
