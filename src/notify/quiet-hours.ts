/**
 * Quiet hours and alert priority. Local time is the UTC offset that the caller's clock gives for an instant
 * (`utcOffsetMinutes(ms)`): the home process passes the process time zone (TZ, DST included), the Worker passes
 * UTC unless told otherwise. Pure, so tests pin the offset.
 */
import type { EventKind, Priority } from './model.js'

/** Minutes east of UTC at the instant `ms`: +120 for Berlin in summer. */
export type UtcOffset = (ms: number) => number

/** The process's own zone, DST included; `getTimezoneOffset` counts the other way round (minutes west). */
export const localUtcOffset: UtcOffset = (ms) => -new Date(ms).getTimezoneOffset()

export interface QuietHours {
  from: string
  to: string
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return h! * 60 + m!
}

/** Minutes since local midnight at `ms`. */
export function localMinuteOfDay(ms: number, offset: UtcOffset): number {
  const local = new Date(ms + offset(ms) * 60_000)
  return local.getUTCHours() * 60 + local.getUTCMinutes()
}

/** Whether `ms` falls in [from, to) local time; `23:00`-`07:00` wraps midnight. Equal ends mean no quiet hours. */
export function isQuietTime(quiet: QuietHours | undefined, ms: number, offset: UtcOffset): boolean {
  if (!quiet) return false
  const from = minutesOf(quiet.from)
  const to = minutesOf(quiet.to)
  const now = localMinuteOfDay(ms, offset)
  if (from === to) return false
  return from < to ? now >= from && now < to : now >= from || now < to
}

/**
 * Priority on ntfy's scale (1 min .. 5 max; 3 default). In quiet hours an opening door is urgent (someone is
 * in the workshop at 3 a.m.), while routine news arrives silently and waits for the morning.
 */
const PRIORITY: Record<EventKind, { normal: Priority; quiet: Priority }> = {
  opened: { normal: 3, quiet: 5 },
  closed: { normal: 3, quiet: 2 },
  battery_low: { normal: 4, quiet: 2 },
  silent: { normal: 4, quiet: 2 },
  back: { normal: 3, quiet: 2 },
  will: { normal: 3, quiet: 2 },
}

export function priorityFor(kind: EventKind, quiet: boolean): Priority {
  return quiet ? PRIORITY[kind].quiet : PRIORITY[kind].normal
}
