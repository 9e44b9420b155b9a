/** What a person reads on the phone: "Workshop door opened" / "at 14:03:12 · battery 3.71 V". Pure. */
import { describeDuration, formatDuration } from '../util/duration.js'
import type { Alert, BatteryReading, EventKind, SensorEvent } from './model.js'
import { isQuietTime, priorityFor, type QuietHours, type UtcOffset } from './quiet-hours.js'

export interface AlertSensor {
  id: string
  name: string
  topic: string
  quietHours?: QuietHours
  click?: string
}

const pad = (n: number) => String(n).padStart(2, '0')

function local(ms: number, offset: UtcOffset): Date {
  return new Date(ms + offset(ms) * 60_000)
}

/** "14:03:12" in local time. */
export function clockTime(ms: number, offset: UtcOffset): string {
  const d = local(ms, offset)
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
}

/** "2024-05-01" in local time. */
export function calendarDate(ms: number, offset: UtcOffset): string {
  const d = local(ms, offset)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** The time, with the date in front when it is not the same local day as `reference`. */
function when(ms: number, reference: number, offset: UtcOffset): string {
  const day = calendarDate(ms, offset)
  return day === calendarDate(reference, offset) ? clockTime(ms, offset) : `${day} ${clockTime(ms, offset)}`
}

export function formatBattery(b: BatteryReading): string {
  return b.unit === 'V' ? `${b.value.toFixed(2)} V` : `${Math.round(b.value)}%`
}

const TAGS: Record<EventKind, string[]> = {
  opened: ['door', 'unlock'],
  closed: ['door', 'lock'],
  battery_low: ['battery'],
  silent: ['warning', 'zzz'],
  back: ['white_check_mark'],
  will: ['electric_plug'],
}

function titleOf(name: string, kind: EventKind): string {
  switch (kind) {
    case 'opened':
      return `${name} opened`
    case 'closed':
      return `${name} closed`
    case 'battery_low':
      return `${name} battery low`
    case 'silent':
      return `${name} is silent`
    case 'back':
      return `${name} is back`
    case 'will':
      return `${name} lost its connection`
  }
}

function bodyOf(e: SensorEvent, offset: UtcOffset): string {
  const at = clockTime(e.at, offset)
  const parts: string[] = []
  const num = (key: string) => (typeof e.details?.[key] === 'number' ? (e.details[key] as number) : undefined)
  switch (e.kind) {
    case 'opened':
    case 'closed': {
      const changes = num('changes')
      parts.push(changes ? `at ${at} after ${changes + 1} quick changes` : `at ${at}`)
      break
    }
    case 'battery_low': {
      const threshold = num('threshold')
      parts.push(`at ${at}`)
      if (e.battery)
        parts.push(
          `${formatBattery(e.battery)}, below ${threshold !== undefined ? formatBattery({ value: threshold, unit: e.battery.unit }) : 'the threshold'}`,
        )
      return parts.join(' · ')
    }
    case 'silent': {
      const lastSeen = num('lastSeenAt')
      const heartbeat = num('heartbeatMs')
      parts.push(lastSeen ? `no message since ${when(lastSeen, e.at, offset)}` : `no message since tracking began`)
      if (heartbeat) parts.push(`heartbeat ${formatDuration(heartbeat)}`)
      if (e.battery) parts.push(`last battery ${formatBattery(e.battery)}`)
      return parts.join(' · ')
    }
    case 'back': {
      const silentFor = num('silentForMs')
      parts.push(silentFor ? `at ${at} after ${describeDuration(silentFor)} without a message` : `at ${at}`)
      break
    }
    case 'will':
      parts.push(`Last Will at ${at}`)
      break
  }
  if (e.battery) parts.push(`battery ${formatBattery(e.battery)}`)
  return parts.join(' · ')
}

/** The alert for one sensor event, with the priority that quiet hours give it. */
export function alertFor(sensor: AlertSensor, event: SensorEvent, offset: UtcOffset, id: string): Alert {
  const priority = priorityFor(event.kind, isQuietTime(sensor.quietHours, event.at, offset))
  return {
    id,
    title: titleOf(sensor.name, event.kind),
    body: bodyOf(event, offset),
    priority,
    tags: priority === 5 ? [...TAGS[event.kind], 'rotating_light'] : TAGS[event.kind],
    ...(sensor.click ? { click: sensor.click } : {}),
    at: event.at,
    sensor: { id: sensor.id, name: sensor.name, topic: sensor.topic },
    event,
  }
}

/** What `POST /v1/notifiers/{id}/test` sends. */
export function testAlert(notifierId: string, now: number, offset: UtcOffset, id: string): Alert {
  return {
    id,
    title: 'Postbridge test alert',
    body: `sent at ${clockTime(now, offset)} through "${notifierId}": door alerts will arrive like this`,
    priority: 3,
    tags: ['test_tube'],
    at: now,
  }
}

/** The one message sent when a channel's rate limit held `count` alerts back (`held` are the latest of them). */
export function summaryAlert(held: Alert[], count: number, limitPerHour: number, now: number, offset: UtcOffset, id: string): Alert {
  const shown = held.slice(-5).map((a) => `${a.title} (${clockTime(a.at, offset)})`)
  const more = count > shown.length ? ` and ${count - shown.length} more` : ''
  return {
    id,
    title: `${count} alert${count === 1 ? '' : 's'} held back`,
    body: `more than ${limitPerHour} alerts in an hour on this channel; ${shown.join('; ')}${more}`,
    // A held night-time opening keeps its urgency in the summary.
    priority: Math.max(3, ...held.map((a) => a.priority)) as Alert['priority'],
    tags: ['warning'],
    at: now,
  }
}
