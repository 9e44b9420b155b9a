/** The WebhookService behind /v1/webhooks: checks input once, stores, and hands changes to the running dispatcher. */
import { newTokenId } from '../auth/token.js'
import {
  errFilterInvalid,
  errInvalidRequest,
  errNotFound,
  errUrlInvalid,
  errUrlRefused,
  errWebhookDeclared,
  errWebhookOwnerRevoked,
  errWebhooksPerToken,
} from '../errors.js'
import { validateTopicFilter } from '../topic/validate.js'
import type { Dispatcher } from './dispatcher.js'
import { checkHeaders } from './headers.js'
import type { WebhookInput, WebhookPatch, WebhookRecord, WebhookService, WebhookView } from './ports.js'
import { generateSecret, parseSecret } from './sign.js'
import { checkUrlSyntax, checkWebhookUrl } from './url-policy.js'

/** Fields of a declared hook that belong to the config file. `enabled` may be switched (the file wins again at the next start) and the secret set when no secretEnv gives it. */
const DECLARED_FIELDS = ['filter', 'url', 'headers'] as const

export function createWebhookService(dispatcher: Dispatcher): WebhookService {
  const { store, now } = dispatcher.options

  async function checkUrl(url: string): Promise<void> {
    const syntax = checkUrlSyntax(url)
    if (syntax) throw errUrlInvalid.with(syntax)
    const refused = await checkWebhookUrl(url, dispatcher.urlPolicy)
    if (refused) throw errUrlRefused.with(refused)
  }

  function checkFields(input: WebhookPatch): void {
    if (input.filter !== undefined) {
      const reason = validateTopicFilter(input.filter)
      if (reason) throw errFilterInvalid.with(reason)
    }
    if (input.secret !== undefined) {
      const parsed = parseSecret(input.secret)
      if ('reason' in parsed) throw errInvalidRequest.with(parsed.reason)
    }
    if (input.headers !== undefined) {
      const reason = checkHeaders(input.headers)
      if (reason) throw errInvalidRequest.with(`headers: ${reason}`)
    }
  }

  async function view(hook: WebhookRecord): Promise<WebhookView> {
    const counts = await store.counts(hook.id)
    return {
      id: hook.id,
      filter: hook.topicFilter,
      url: hook.url,
      headerNames: Object.keys(hook.headers),
      enabled: hook.enabled,
      ...(hook.disabledReason ? { disabledReason: hook.disabledReason } : {}),
      source: hook.source,
      ...(hook.createdBy !== undefined ? { owner: hook.createdBy } : {}),
      createdAt: hook.createdAt,
      updatedAt: hook.updatedAt,
      ...counts,
    }
  }

  async function find(id: string): Promise<WebhookRecord> {
    const hook = dispatcher.hooks.get(id) ?? (await store.getWebhook(id))
    if (!hook) throw errNotFound.with(`no webhook "${id}"`)
    return hook
  }

  return {
    async create(input: WebhookInput, createdBy: string) {
      const max = dispatcher.options.config.maxPerToken
      const owned = [...dispatcher.hooks.values()].filter((h) => h.source === 'api' && h.createdBy === createdBy).length
      if (owned >= max) throw errWebhooksPerToken.with(`a token may create at most ${max} webhooks (webhooks.maxPerToken)`)
      checkFields(input)
      await checkUrl(input.url)
      const at = now()
      const secret = input.secret ?? generateSecret()
      const hook: WebhookRecord = {
        id: `wh_${newTokenId()}`,
        topicFilter: input.filter,
        url: input.url,
        secret,
        headers: input.headers ?? {},
        enabled: input.enabled ?? true,
        source: 'api',
        createdBy,
        createdAt: at,
        updatedAt: at,
      }
      await store.putWebhook(hook)
      // Resolves once the filter is subscribed: a message published after the 201 is delivered.
      await dispatcher.apply(hook)
      return { webhook: await view(hook), secret }
    },

    async list() {
      const hooks = [...dispatcher.hooks.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
      return Promise.all(hooks.map(view))
    },

    async get(id: string) {
      const hook = dispatcher.hooks.get(id) ?? (await store.getWebhook(id))
      return hook ? view(hook) : undefined
    },

    async update(id: string, patch: WebhookPatch) {
      const hook = await find(id)
      if (hook.source === 'config') {
        const fixed = DECLARED_FIELDS.filter((f) => patch[f] !== undefined)
        if (fixed.length > 0) throw errWebhookDeclared.with(`change ${fixed.join(', ')} in the config file`)
        const secretEnv = dispatcher.options.config.hooks.find((h) => h.id === id)?.secretEnv
        if (patch.secret !== undefined && secretEnv) throw errWebhookDeclared.with(`the secret comes from ${secretEnv}`)
      }
      if (patch.enabled === true && hook.disabledReason === 'revoked') throw errWebhookOwnerRevoked.with('create a new webhook with a valid token')
      checkFields(patch)
      if (patch.url !== undefined) await checkUrl(patch.url)
      const enabled = patch.enabled ?? hook.enabled
      // Headers and secret were given for the old receiver (a Home Assistant token, say): a new URL must not get them.
      const newReceiver = patch.url !== undefined && patch.url !== hook.url
      const generated = newReceiver && patch.secret === undefined ? generateSecret() : undefined
      const next: WebhookRecord = {
        ...hook,
        topicFilter: patch.filter ?? hook.topicFilter,
        url: patch.url ?? hook.url,
        secret: patch.secret ?? generated ?? hook.secret,
        headers: patch.headers ?? (newReceiver ? {} : hook.headers),
        enabled,
        updatedAt: now(),
      }
      // Enabling or disabling is a person's decision: it replaces the receiver's 410.
      if (patch.enabled !== undefined) delete next.disabledReason
      await store.putWebhook(next)
      await dispatcher.apply(next)
      return { webhook: await view(next), ...(generated ? { secret: generated } : {}) }
    },

    async remove(id: string) {
      const hook = dispatcher.hooks.get(id) ?? (await store.getWebhook(id))
      if (!hook) return false
      if (hook.source === 'config') throw errWebhookDeclared.with('remove it from the config file')
      return dispatcher.remove(id)
    },

    async deliveries(id, query) {
      await find(id)
      return store.attempts(id, query)
    },

    async test(id: string) {
      return dispatcher.test(await find(id))
    },

    async replay(id: string) {
      await find(id)
      return dispatcher.replay(id)
    },

    activeOwners() {
      const owners = new Set<string>()
      for (const h of dispatcher.hooks.values()) if (h.enabled && h.createdBy !== undefined) owners.add(h.createdBy)
      return [...owners]
    },

    async disableOwnedBy(tokenId: string) {
      const owned = [...dispatcher.hooks.values()].filter((h) => h.createdBy === tokenId && h.enabled)
      for (const hook of owned) {
        const next: WebhookRecord = { ...hook, enabled: false, disabledReason: 'revoked', updatedAt: now() }
        await store.putWebhook(next)
        await dispatcher.apply(next)
      }
      return owned.length
    },
  }
}
