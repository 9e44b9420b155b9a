/**
 * The door-sensor state machine: (sensor, state, input, now) -> (state, events). Pure: time comes in as `now`,
 * so debounce windows, heartbeats and battery trends are tested with plain numbers.
 */
import { addSample, checkCrossing, estimateDaysLeft, lowThreshold } from './battery.js'
import type { SensorSpec } from './config.js'
import type { DoorState, EventDraft, Input, SensorState } from './model.js'

/**
 * A sensor is silent after heartbeat x 1.5: one late wake-up (Wi-Fi slow to associate, RTC drift of a few
 * percent on the ESP8266) must not raise the alarm, a whole missed heartbeat must.
 */
export const SILENT_FACTOR = 1.5

export type SensorPolicy = Pick<SensorSpec, 'heartbeat' | 'debounce' | 'batteryLow'>

export interface Evaluation {
  state: SensorState
  events: EventDraft[]
}

const doorEvent = (door: DoorState) => (door === 'open' ? 'opened' : 'closed')

/** When the dead-man alarm goes off, counted from the last message (or from when tracking began). */
export function silentDeadline(sensor: SensorPolicy, state: SensorState): number | undefined {
  if (sensor.heartbeat === undefined) return undefined
  return (state.lastSeenAt ?? state.since) + sensor.heartbeat * SILENT_FACTOR
}

/** The next time a tick may change something: a debounce window closing or a heartbeat running out. */
export function nextDueAt(sensor: SensorPolicy, state: SensorState): number | undefined {
  const due: number[] = []
  if (state.door !== state.announcedDoor && state.lastChangeAt !== undefined) due.push(state.lastChangeAt + sensor.debounce)
  const deadline = silentDeadline(sensor, state)
  if (deadline !== undefined && !state.silent) due.push(deadline)
  return due.length > 0 ? Math.min(...due) : undefined
}

/**
 * Alive, as far as anyone can tell: heard from within its heartbeat window. A sleeping sensor is online while it
 * sleeps; a Last Will does not change this. Null without a heartbeat, where silence says nothing.
 */
export function isOnline(sensor: SensorPolicy, state: SensorState): boolean | null {
  if (sensor.heartbeat === undefined) return null
  return state.lastSeenAt !== undefined && !state.silent
}

export function batteryDaysLeft(sensor: SensorPolicy, state: SensorState, now: number): number | undefined {
  if (!state.battery) return undefined
  return estimateDaysLeft(state.batterySamples, lowThreshold(sensor.batteryLow, state.battery.unit), now)
}

/** What the clock alone decides: a debounce window that has closed, a heartbeat that has run out. */
function settle(sensor: SensorPolicy, s: SensorState, now: number, events: EventDraft[]): void {
  if (s.lastChangeAt !== undefined && now >= s.lastChangeAt + sensor.debounce) {
    // The window is over: announce where the door ended up, unless it came back to what was announced.
    if (s.door && s.door !== s.announcedDoor) {
      events.push({ kind: doorEvent(s.door), at: now, door: s.door, ...batteryOf(s), details: { changes: s.absorbedChanges } })
      s.announcedDoor = s.door
    }
    s.absorbedChanges = 0
  }
  const deadline = silentDeadline(sensor, s)
  if (deadline !== undefined && !s.silent && now >= deadline) {
    events.push({ kind: 'silent', at: now, ...batteryOf(s), details: { lastSeenAt: s.lastSeenAt ?? 0, heartbeatMs: sensor.heartbeat ?? 0 } })
    s.silent = true
  }
}

function batteryOf(s: SensorState): Pick<EventDraft, 'battery'> {
  return s.battery ? { battery: { value: s.battery.value, unit: s.battery.unit } } : {}
}

function applyBattery(
  sensor: SensorPolicy,
  s: SensorState,
  reading: NonNullable<Extract<Input, { type: 'message' }>['reading']['battery']>,
  now: number,
  events: EventDraft[],
): void {
  if (s.battery && s.battery.unit !== reading.unit) {
    // The device changed what it reports: thresholds and history in the old unit mean nothing now.
    s.batterySamples = []
    s.batteryArmed = true
  }
  const threshold = lowThreshold(sensor.batteryLow, reading.unit)
  const crossing = checkCrossing(s.batteryArmed, reading, threshold)
  s.batteryArmed = crossing.armed
  s.battery = { ...reading, at: now }
  s.batterySamples = addSample(s.batterySamples, reading.value, reading.unit, now)
  if (crossing.crossed) events.push({ kind: 'battery_low', at: now, battery: { ...reading }, details: { threshold } })
}

function applyDoor(sensor: SensorPolicy, s: SensorState, door: DoorState, now: number, events: EventDraft[]): void {
  if (door === s.door) return // a heartbeat repeating the state
  const inWindow = s.lastChangeAt !== undefined && now < s.lastChangeAt + sensor.debounce
  s.door = door
  s.lastChangeAt = now
  if (inWindow) {
    // Flapping: remember where the door is, say nothing until the window closes (see settle).
    s.absorbedChanges += 1
    return
  }
  // Leading edge: the first change alerts at once, because an opening door at night cannot wait 2 s.
  if (door !== s.announcedDoor) {
    events.push({ kind: doorEvent(door), at: now, door, ...batteryOf(s) })
    s.announcedDoor = door
    s.absorbedChanges = 0
  }
}

/** Feeds one input to one sensor. The state passed in is not modified. */
export function evaluate(sensor: SensorPolicy, state: SensorState, input: Input, now: number): Evaluation {
  const s = structuredClone(state)
  const events: EventDraft[] = []
  settle(sensor, s, now, events)
  if (input.type === 'will') {
    // Recorded, but the sensor stays online: a sleeping device that drops Wi-Fi without DISCONNECT triggers its
    // Will on every sleep. The heartbeat decides liveness.
    events.push({ kind: 'will', at: now, ...batteryOf(s) })
    s.lastWillAt = now
  } else if (input.type === 'message') {
    if (s.silent) {
      events.push({ kind: 'back', at: now, details: { silentForMs: now - (s.lastSeenAt ?? s.since) } })
      s.silent = false
    }
    s.lastSeenAt = now
    if (input.reading.battery) applyBattery(sensor, s, input.reading.battery, now, events)
    if (input.reading.door) applyDoor(sensor, s, input.reading.door, now, events)
  }
  return { state: s, events }
}
