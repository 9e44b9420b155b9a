/**
 * Generic webhook: POST the alert as JSON. With a secret, signed per Standard Webhooks
 * (https://www.standardwebhooks.com/): webhook-id, webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">, so receivers can verify with any Standard Webhooks library.
 */
import { fromBase64, toBase64, utf8 } from '../../util/bytes.js'
import type { Alert } from '../model.js'
import type { WebhookNotifier } from './types.js'

export const SECRET_PREFIX = 'whsec_'

/** The HMAC key of a `whsec_<base64>` secret, or undefined when the secret is not of that form. */
export function webhookKey(secret: string): Uint8Array<ArrayBuffer> | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined
  const key = fromBase64(secret.slice(SECRET_PREFIX.length))
  return key && key.byteLength > 0 ? key : undefined
}

export function webhookBody(alert: Alert): string {
  const event = alert.event
  return JSON.stringify({
    type: 'postbridge.alert',
    id: alert.id,
    title: alert.title,
    body: alert.body,
    priority: alert.priority,
    tags: alert.tags,
    ...(alert.click ? { click: alert.click } : {}),
    ...(alert.actions?.length ? { actions: alert.actions.map((a) => ({ label: a.label, url: a.url })) } : {}),
    at: new Date(alert.at).toISOString(),
    ...(alert.sensor ? { sensor: alert.sensor } : {}),
    ...(event
      ? {
          event: {
            id: event.id,
            kind: event.kind,
            at: new Date(event.at).toISOString(),
            ...(event.door ? { door: event.door } : {}),
            ...(event.battery ? { battery: event.battery } : {}),
          },
        }
      : {}),
  })
}

export async function webhookRequest(n: WebhookNotifier, alert: Alert, now: number): Promise<Request> {
  const body = webhookBody(alert)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (n.secret) {
    const key = webhookKey(n.secret)
    if (!key) throw new Error(`webhook notifier "${n.id}": secret must be ${SECRET_PREFIX} followed by base64`)
    // Each attempt carries its own timestamp: receivers reject signatures older than a few minutes.
    const timestamp = Math.floor(now / 1000)
    const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    const mac = await crypto.subtle.sign('HMAC', hmac, utf8(`${alert.id}.${timestamp}.${body}`))
    headers['webhook-id'] = alert.id
    headers['webhook-timestamp'] = String(timestamp)
    headers['webhook-signature'] = `v1,${toBase64(new Uint8Array(mac))}`
  }
  return new Request(n.url, { method: 'POST', headers, body })
}
