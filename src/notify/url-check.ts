/**
 * Notifier URLs follow the webhook URL policy (src/webhooks/url-policy.ts): without `webhooks.allowPrivate`,
 * loopback and link-local targets (169.254.169.254) are refused, when the notifier is made and again before each
 * send (a name may resolve elsewhere later). The same switch lets a self-hosted ntfy on the Pi itself be used.
 */
import { checkWebhookUrl, type UrlPolicy } from '../webhooks/url-policy.js'
import type { NotifierSpec } from './config.js'

/** The fields of a notifier that hold the URL it posts to. */
const URL_FIELDS = ['server', 'apiBase', 'url'] as const

/** Why one of the notifier's URLs is refused (`server: 127.0.0.1 is a loopback address...`), or undefined. */
export async function checkNotifierUrls(spec: NotifierSpec, policy: UrlPolicy): Promise<string | undefined> {
  const record = spec as unknown as Record<string, unknown>
  for (const field of URL_FIELDS) {
    const url = record[field]
    if (typeof url !== 'string') continue
    const reason = await checkWebhookUrl(url, policy)
    if (reason) return `${field}: ${reason}`
  }
  return undefined
}
