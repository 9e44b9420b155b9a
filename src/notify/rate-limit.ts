/** Per-channel rate limit over a sliding hour, with held alerts summarised once room frees up. Pure. */
import type { Alert } from './model.js'

export const RATE_WINDOW_MS = 3_600_000
/** Held alerts kept for the summary text; beyond this only the count grows. */
const MAX_HELD_KEPT = 20

export interface RateWindow {
  /** Send times within the window, oldest first. */
  sentAt: number[]
  held: Alert[]
  heldCount: number
}

export const emptyWindow = (): RateWindow => ({ sentAt: [], held: [], heldCount: 0 })

function prune(w: RateWindow, now: number): number[] {
  return w.sentAt.filter((t) => t > now - RATE_WINDOW_MS)
}

/** Lets the alert through (and counts it) or holds it back for the summary. */
export function admit(w: RateWindow, alert: Alert, now: number, limit: number): { allowed: boolean; window: RateWindow } {
  const sentAt = prune(w, now)
  if (sentAt.length < limit) return { allowed: true, window: { ...w, sentAt: [...sentAt, now] } }
  return { allowed: false, window: { sentAt, held: [...w.held, alert].slice(-MAX_HELD_KEPT), heldCount: w.heldCount + 1 } }
}

/** When the oldest send leaves the window, making room for the summary; undefined when nothing is held. */
export function summaryDueAt(w: RateWindow): number | undefined {
  if (w.heldCount === 0) return undefined
  return (w.sentAt[0] ?? 0) + RATE_WINDOW_MS
}

/** The held alerts, once there is room to send their summary (which counts as one send). */
export function takeHeld(w: RateWindow, now: number, limit: number): { held: Alert[]; count: number; window: RateWindow } | undefined {
  const sentAt = prune(w, now)
  if (w.heldCount === 0 || sentAt.length >= limit) return undefined
  return { held: w.held, count: w.heldCount, window: { sentAt: [...sentAt, now], held: [], heldCount: 0 } }
}
