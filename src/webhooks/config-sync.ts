/** Brings the webhooks declared in the config file into the store at start: created, updated, or removed with the file. */
import type { DeclaredWebhook } from './config.js'
import type { WebhookRecord, WebhookStore } from './ports.js'
import { generateSecret, parseSecret } from './sign.js'
import { checkWebhookUrl, type UrlPolicy } from './url-policy.js'

export interface SyncContext {
  env: Record<string, string | undefined>
  now: number
  urlPolicy: UrlPolicy
}

/** Bad configuration fails at startup: every problem of every declared hook is reported in one Error. */
export async function syncDeclaredHooks(store: WebhookStore, declared: DeclaredWebhook[], ctx: SyncContext): Promise<void> {
  const problems: string[] = []
  const records: WebhookRecord[] = []
  for (const [i, hook] of declared.entries()) {
    const where = `webhooks.hooks[${i}] (${hook.id})`
    const refused = await checkWebhookUrl(hook.url, ctx.urlPolicy)
    if (refused) problems.push(`${where}.url: ${refused}`)
    let envSecret: string | undefined
    if (hook.secretEnv !== undefined) {
      envSecret = ctx.env[hook.secretEnv]
      if (!envSecret) problems.push(`${where}.secretEnv: environment variable ${hook.secretEnv} is not set`)
      else {
        const parsed = parseSecret(envSecret)
        if ('reason' in parsed) problems.push(`${where}.secretEnv: ${hook.secretEnv}: ${parsed.reason}`)
      }
    }
    const existing = await store.getWebhook(hook.id)
    if (existing && existing.source !== 'config') problems.push(`${where}.id: a webhook made through the API has this id`)
    records.push(toRecord(hook, existing, envSecret, ctx.now))
  }
  if (problems.length > 0) throw new Error(`bad webhook configuration: ${problems.join('; ')}`)
  for (const record of records) await store.putWebhook(record)
  const ids = new Set(declared.map((h) => h.id))
  for (const stored of await store.listWebhooks()) {
    if (stored.source === 'config' && !ids.has(stored.id)) await store.deleteWebhook(stored.id)
  }
}

function toRecord(hook: DeclaredWebhook, existing: WebhookRecord | undefined, envSecret: string | undefined, now: number): WebhookRecord {
  // A receiver that answered 410 stays disabled across restarts until the file points the hook somewhere else.
  const stillGone = existing?.disabledReason === 'gone' && existing.url === hook.url && hook.enabled
  const record: WebhookRecord = {
    id: hook.id,
    topicFilter: hook.filter,
    url: hook.url,
    secret: envSecret ?? existing?.secret ?? generateSecret(),
    headers: hook.headers,
    enabled: stillGone ? false : hook.enabled,
    ...(stillGone ? { disabledReason: 'gone' as const } : {}),
    source: 'config',
    createdAt: existing?.createdAt ?? now,
    updatedAt: existing?.updatedAt ?? now,
  }
  if (existing && !sameHook(existing, record)) record.updatedAt = now
  return record
}

function sameHook(a: WebhookRecord, b: WebhookRecord): boolean {
  return (
    a.topicFilter === b.topicFilter &&
    a.url === b.url &&
    a.secret === b.secret &&
    a.enabled === b.enabled &&
    a.disabledReason === b.disabledReason &&
    JSON.stringify(a.headers) === JSON.stringify(b.headers)
  )
}
