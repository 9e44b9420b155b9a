/** Brings the webhooks declared in the config file into the store at start: created, updated, or removed with the file. */
import { syncDeclared } from '../config/sync-declared.js'
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
  const secrets = new Map<string, string>()
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
    if (envSecret) secrets.set(hook.id, envSecret)
  }
  if (problems.length > 0) throw new Error(`bad webhook configuration: ${problems.join('; ')}`)
  const hooks = { list: () => store.listWebhooks(), put: (r: WebhookRecord) => store.putWebhook(r), remove: (id: string) => store.deleteWebhook(id) }
  await syncDeclared(hooks, declared, ctx.now, (hook, existing) => toRecord(hook, existing, secrets.get(hook.id)))
}

function toRecord(
  hook: DeclaredWebhook,
  existing: WebhookRecord | undefined,
  envSecret: string | undefined,
): Omit<WebhookRecord, 'source' | 'createdAt' | 'updatedAt'> {
  // A receiver that answered 410 stays disabled across restarts until the file points the hook somewhere else.
  const stillGone = existing?.disabledReason === 'gone' && existing.url === hook.url && hook.enabled
  return {
    id: hook.id,
    topicFilter: hook.filter,
    url: hook.url,
    secret: envSecret ?? existing?.secret ?? generateSecret(),
    headers: hook.headers,
    enabled: stillGone ? false : hook.enabled,
    ...(stillGone ? { disabledReason: 'gone' as const } : {}),
  }
}
