/**
 * ntfy (https://docs.ntfy.sh/publish/#publish-as-json): POST the message as JSON to the server's root URL.
 * JSON rather than Title/Tags headers because header values must be Latin-1, and a door may be called "Haustür 🚪".
 */
import { toBase64, utf8 } from '../../util/bytes.js'
import type { Alert } from '../model.js'
import type { NtfyNotifier } from './types.js'

/** Access tokens (`tk_...`) go as Bearer; `user:password` as Basic, both as the ntfy docs describe. */
function authorization(token: string): string {
  return token.includes(':') ? `Basic ${toBase64(utf8(token))}` : `Bearer ${token}`
}

export function ntfyRequest(n: NtfyNotifier, alert: Alert): Request {
  // The root URL, also for a server behind a path prefix: https://example.com/ntfy -> https://example.com/ntfy/
  const url = n.server.endsWith('/') ? n.server : `${n.server}/`
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (n.token) headers.authorization = authorization(n.token)
  const body = {
    topic: n.topic,
    title: alert.title,
    message: alert.body,
    priority: alert.priority,
    tags: alert.tags,
    ...(alert.click ? { click: alert.click } : {}),
    // https://docs.ntfy.sh/publish/#send-http-request: the app POSTs the URL itself and clears the notification.
    ...(alert.actions?.length
      ? { actions: alert.actions.map((a) => ({ action: 'http', label: a.label, url: a.url, method: 'POST', clear: true })) }
      : {}),
  }
  return new Request(url, { method: 'POST', headers, body: JSON.stringify(body) })
}
