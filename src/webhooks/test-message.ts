/** POST /v1/webhooks/{id}/test: one signed message sent now, outside the outbox, so a user can check a receiver. */
import { newMessageId, renderWebhookBody } from './body.js'
import { deliverOnce, type DeliveryResult } from './deliver.js'
import type { AttemptRecord, WebhookRecord } from './ports.js'
import { importSigningKey, signatureHeaders } from './sign.js'
import { checkWebhookUrl, type UrlPolicy } from './url-policy.js'

export const TEST_TOPIC = '$postbridge/webhooks/test'

export interface TestSendContext {
  fetch: typeof fetch
  now(): number
  urlPolicy: UrlPolicy
  timeoutMs: number
}

/** Sends the test message and returns the result with the attempt to log. */
export async function sendTestMessage(hook: WebhookRecord, ctx: TestSendContext): Promise<{ result: DeliveryResult; attempt: AttemptRecord }> {
  const at = ctx.now()
  const messageId = newMessageId(at)
  const payload = new TextEncoder().encode(JSON.stringify({ test: true, webhookId: hook.id }))
  const body = renderWebhookBody({ topic: TEST_TOPIC, payload, qos: 0, retain: false }, messageId, at)
  const refused = await checkWebhookUrl(hook.url, ctx.urlPolicy)
  const result: DeliveryResult = refused
    ? { ok: false, error: `refused: ${refused}`, durationMs: 0 }
    : await deliverOnce(
        ctx.fetch,
        {
          url: hook.url,
          headers: { ...hook.headers, ...(await signatureHeaders(await importSigningKey(hook.secret), messageId, ctx.now(), body)) },
          body,
          timeoutMs: ctx.timeoutMs,
        },
        ctx.now,
      )
  const attempt: AttemptRecord = {
    webhookId: hook.id,
    messageId,
    topicName: TEST_TOPIC,
    attempt: 1,
    at,
    durationMs: result.durationMs,
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    outcome: 'test',
  }
  return { result, attempt }
}
