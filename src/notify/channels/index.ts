/** One request builder per provider, chosen by the notifier's type. */
import type { NotifierSpec } from '../config.js'
import type { Alert } from '../model.js'
import { gotifyRequest } from './gotify.js'
import { ntfyRequest } from './ntfy.js'
import { pushoverRequest } from './pushover.js'
import { telegramRequest } from './telegram.js'
import { webhookRequest } from './webhook.js'

/** The HTTP request that delivers `alert` through `notifier` (secrets resolved), exactly as the provider documents it. */
export async function buildRequest(notifier: NotifierSpec, alert: Alert, now: number): Promise<Request> {
  switch (notifier.type) {
    case 'ntfy':
      return ntfyRequest(notifier, alert)
    case 'gotify':
      return gotifyRequest(notifier, alert)
    case 'pushover':
      return pushoverRequest(notifier, alert)
    case 'telegram':
      return telegramRequest(notifier, alert)
    case 'webhook':
      return webhookRequest(notifier, alert, now)
  }
}
