/**
 * Generic webhook: POST the alert as JSON. With a secret, signed per Standard Webhooks
 * (https://www.standardwebhooks.com/): webhook-id, webhook-timestamp, webhook-signature = v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">, so receivers can verify with any Standard Webhooks library. Signed by the same code as
 * webhook deliveries (src/webhooks/sign.ts), with the same secret rule.
 */
import { importSigningKey, signatureHeaders } from '../../webhooks/sign.js'
import type { Alert } from '../model.js'
import type { WebhookNotifier } from './types.js'

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
    let key: CryptoKey
    try {
      key = await importSigningKey(n.secret)
    } catch (err) {
      throw new Error(`webhook notifier "${n.id}": ${err instanceof Error ? err.message : String(err)}`)
    }
    // Each attempt carries its own timestamp: receivers reject signatures older than a few minutes.
    Object.assign(headers, await signatureHeaders(key, alert.id, now, body))
  }
  return new Request(n.url, { method: 'POST', headers, body })
}
