/** The words of the door-sensor notifier: sensor state, events and alerts. Plain data, so every store can hold it as JSON. */

export type DoorState = 'open' | 'closed'

export const EVENT_KINDS = ['opened', 'closed', 'battery_low', 'silent', 'back', 'will'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

export type BatteryUnit = 'V' | '%'

export interface BatteryReading {
  value: number
  unit: BatteryUnit
}

/** What one sensor message says once parsed; a heartbeat may carry only the battery, or nothing at all. */
export interface Reading {
  door?: DoorState
  battery?: BatteryReading
}

/** What the state machine is fed. `tick` is the clock: debounce windows close and heartbeats run out on it. */
export type Input = { type: 'message'; reading: Reading } | { type: 'will' } | { type: 'tick' }

export interface BatterySample {
  at: number
  value: number
}

/** Everything the notifier remembers about one sensor between messages (and across restarts). */
export interface SensorState {
  /** When tracking began: the dead-man baseline until the first message arrives. */
  since: number
  lastSeenAt?: number
  /** The door as last reported, debounced or not. */
  door?: DoorState
  /** The door as last announced by an opened/closed event. */
  announcedDoor?: DoorState
  /** The last raw door change; a debounce window runs from here. */
  lastChangeAt?: number
  /** Raw changes swallowed by the current debounce window. */
  absorbedChanges: number
  battery?: BatteryReading & { at: number }
  /** False between a battery_low event and the recovery above threshold + hysteresis. */
  batteryArmed: boolean
  /** Downsampled readings in the current unit, oldest first, for the days-left trend. */
  batterySamples: BatterySample[]
  silent: boolean
  lastWillAt?: number
  /** The payload last processed, to recognise a retained copy replayed when we subscribe again. */
  lastPayload?: string
}

/** An event before it gets an id and a sensor. */
export interface EventDraft {
  kind: EventKind
  at: number
  door?: DoorState
  battery?: BatteryReading
  details?: Record<string, number | string | boolean>
}

export interface SensorEvent extends EventDraft {
  id: string
  sensorId: string
}

export type Priority = 1 | 2 | 3 | 4 | 5

/** One phone notification, independent of the channel that carries it. Priority is on ntfy's 1..5 scale. */
export interface Alert {
  /** Stable across retries, so a receiver can drop duplicates. */
  id: string
  title: string
  body: string
  priority: Priority
  /** ntfy tags; names that match an emoji short code are shown as that emoji. */
  tags: string[]
  click?: string
  at: number
  sensor?: { id: string; name: string; topic: string }
  event?: SensorEvent
  /** Buttons on the phone ("Turn on porch light"); each URL works once (src/notify/actions.ts). */
  actions?: AlertAction[]
}

/** One button of an alert: a single-use URL that publishes one message when called. */
export interface AlertAction {
  label: string
  /** POST publishes; GET shows a page with a button that POSTs (for apps that can only open a link). */
  url: string
  /** The single-use token in the URL, for channels that carry it themselves (Telegram callback data). */
  token: string
}

export function initialState(now: number): SensorState {
  return { since: now, absorbedChanges: 0, batteryArmed: true, batterySamples: [], silent: false }
}
