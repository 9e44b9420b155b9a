/**
 * Revocation ends what a token started: its event streams, its pending request waits and its webhooks. The
 * token store is the truth and may be changed by another process (the CLI writes the SQLite file directly), so
 * the runtime calls check() when its database reports a write by another process (the home node: a file-system
 * event, then SQLite's data_version, broker/store/foreign-writes.ts), and the revoke route calls it at once. A token
 * becomes invalid only by its deletion (tokens do not expire), so nothing needs checking while nothing is written.
 */
import type { TokenStore } from '../ports/token-store.js'
import type { Logger } from '../ports/logger.js'
import type { WebhookService } from '../webhooks/ports.js'
import { ENV_ADMIN_RECORD } from './token.js'

export interface TokenWatch {
  /** Calls onRevoked once, when the token is found revoked; the returned function stops watching. */
  watch(tokenId: string, onRevoked: () => void): () => void
  /** Checks every watched token and every owner of an enabled webhook against the store now. */
  check(): Promise<void>
}

export interface TokenWatchOptions {
  tokens: TokenStore
  /** Webhooks whose owner was revoked are disabled (reason "revoked"). */
  webhooks?: WebhookService
  log: Logger
}

export function createTokenWatch({ tokens, webhooks, log }: TokenWatchOptions): TokenWatch {
  const watchers = new Map<string, Set<() => void>>()
  let running: Promise<void> | undefined

  async function revoked(tokenId: string): Promise<void> {
    const callbacks = watchers.get(tokenId)
    watchers.delete(tokenId)
    for (const onRevoked of callbacks ?? []) {
      try {
        onRevoked()
      } catch (err) {
        log.error({ tokenId, err: String(err) }, 'error while closing what a revoked token started')
      }
    }
    const disabled = webhooks ? await webhooks.disableOwnedBy(tokenId) : 0
    log.info({ tokenId, closed: callbacks?.size ?? 0, webhooksDisabled: disabled }, 'token revoked: its streams, requests and webhooks ended')
  }

  async function sweep(): Promise<void> {
    const ids = new Set(watchers.keys())
    for (const owner of webhooks?.activeOwners() ?? []) ids.add(owner)
    ids.delete(ENV_ADMIN_RECORD.id)
    for (const id of ids) {
      try {
        if (!(await tokens.get(id))) await revoked(id)
      } catch (err) {
        log.warn({ tokenId: id, err: String(err) }, 'cannot check whether a token was revoked')
      }
    }
  }

  return {
    watch(tokenId, onRevoked) {
      let set = watchers.get(tokenId)
      if (!set) watchers.set(tokenId, (set = new Set()))
      set.add(onRevoked)
      return () => {
        set.delete(onRevoked)
        if (set.size === 0 && watchers.get(tokenId) === set) watchers.delete(tokenId)
      }
    },
    async check() {
      // One sweep at a time; a caller during a sweep waits for it and then runs its own, which sees its change.
      while (running) await running
      running = sweep().finally(() => (running = undefined))
      await running
    },
  }
}
