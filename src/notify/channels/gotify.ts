/**
 * Gotify (https://gotify.net/api-docs, POST /message): JSON {title, message, priority, extras} with the application
 * token in X-Gotify-Key, which keeps it out of URLs and access logs (the ?token= form is also documented).
 */
import type { Alert, Priority } from '../model.js'
import type { GotifyNotifier } from './types.js'

/** Gotify priorities run 0..10; its Android app is silent below 4 and insistent from 8. */
export const GOTIFY_PRIORITY: Record<Priority, number> = { 1: 1, 2: 2, 3: 5, 4: 7, 5: 10 }

export function gotifyRequest(n: GotifyNotifier, alert: Alert): Request {
  const url = `${n.server.replace(/\/+$/, '')}/message`
  const body = {
    title: alert.title,
    message: alert.body,
    priority: GOTIFY_PRIORITY[alert.priority],
    // https://gotify.net/docs/msgextras: client::notification.click.url opens on tap
    // Gotify opens one URL on tap: the first action (a page with its button), else the click link.
    ...((alert.actions?.[0]?.url ?? alert.click)
      ? { extras: { 'client::notification': { click: { url: alert.actions?.[0]?.url ?? alert.click } } } }
      : {}),
  }
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gotify-key': n.token },
    body: JSON.stringify(body),
  })
}
