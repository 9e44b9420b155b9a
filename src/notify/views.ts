/** How sensors, events and notifiers look in API answers. */
import { formatDuration } from '../util/duration.js'
import { batteryDaysLeft, isOnline } from './evaluate.js'
import type { SensorEvent, SensorState } from './model.js'
import type { DeliveryRecord, DeliveryView, EventView, NotifierRecord, NotifierView, SensorRecord, SensorView } from './ports.js'
import { maskSecrets } from './secrets.js'

const iso = (ms: number) => new Date(ms).toISOString()

export function sensorView(r: SensorRecord, s: SensorState | undefined, now: number): SensorView {
  const days = s ? batteryDaysLeft(r, s, now) : undefined
  return {
    id: r.id,
    name: r.name,
    topic: r.topic,
    kind: r.kind,
    ...(r.heartbeat !== undefined ? { heartbeat: formatDuration(r.heartbeat) } : {}),
    ...(r.batteryLow ? { batteryLow: r.batteryLow.unit === 'V' ? r.batteryLow.value : `${r.batteryLow.value}%` } : {}),
    notify: r.notify,
    ...(r.quietHours ? { quietHours: r.quietHours } : {}),
    payload: r.payload,
    debounce: formatDuration(r.debounce),
    ...(r.willTopic ? { willTopic: r.willTopic } : {}),
    ...(r.alertOn ? { alertOn: r.alertOn } : {}),
    ...(r.click ? { click: r.click } : {}),
    ...(r.actions ? { actions: r.actions } : {}),
    source: r.source,
    state: s?.door ?? null,
    battery: s?.battery ? { value: s.battery.value, unit: s.battery.unit, at: iso(s.battery.at) } : null,
    batteryDaysLeft: days ?? null,
    lastSeen: s?.lastSeenAt !== undefined ? iso(s.lastSeenAt) : null,
    online: s ? isOnline(r, s) : null,
    silent: s?.silent ?? false,
    lastWill: s?.lastWillAt !== undefined ? iso(s.lastWillAt) : null,
  }
}

export function eventView(e: SensorEvent): EventView {
  return {
    id: e.id,
    kind: e.kind,
    at: iso(e.at),
    ...(e.door ? { door: e.door } : {}),
    ...(e.battery ? { battery: e.battery } : {}),
    ...(e.details ? { details: e.details } : {}),
  }
}

export function notifierView(r: NotifierRecord): NotifierView {
  const { source, createdAt: _c, updatedAt: _u, ...spec } = r
  return { ...maskSecrets(spec as never), id: r.id, type: r.type, source }
}

export function deliveryView(d: DeliveryRecord): DeliveryView {
  return { ...d, at: iso(d.at) }
}
