/**
 * Pushover (https://pushover.net/api): POST /1/messages.json, form-encoded token, user, message, title, priority.
 */
import type { Alert, Priority } from '../model.js'
import type { PushoverNotifier } from './types.js'

/**
 * Pushover's -2..2. 1 bypasses the user's Pushover quiet hours, so only urgent alerts get it; 2 (emergency)
 * repeats until acknowledged and needs retry/expire, which a door alert should not impose.
 */
export const PUSHOVER_PRIORITY: Record<Priority, number> = { 1: -2, 2: -1, 3: 0, 4: 0, 5: 1 }

export function pushoverRequest(n: PushoverNotifier, alert: Alert): Request {
  const form = new URLSearchParams({
    token: n.appToken,
    user: n.userKey,
    title: alert.title,
    message: alert.body,
    priority: String(PUSHOVER_PRIORITY[alert.priority]),
    // The event's own time, not the time Pushover received it (a retried alert may arrive minutes late).
    timestamp: String(Math.floor(alert.at / 1000)),
  })
  // Pushover carries one supplementary URL: the first action (a page with its button) before the click link.
  const action = alert.actions?.[0]
  if (action) {
    form.set('url', action.url)
    form.set('url_title', action.label)
  } else if (alert.click) form.set('url', alert.click)
  return new Request(`${n.apiBase.replace(/\/+$/, '')}/1/messages.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
}
