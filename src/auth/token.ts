/** Bearer tokens: `pb_<id>_<secret>`. The id finds the record; the secret is checked against a stored hash in constant time. */
import type { Scope, TokenRecord } from '../ports/types.js'
import type { TokenStore } from '../ports/token-store.js'
import { randomBytes, sha256Hex, timingSafeEqual, timingSafeEqualText, toBase64Url, utf8 } from '../util/bytes.js'
import { filterCovers, matchTopic } from '../topic/match.js'

const TOKEN_PATTERN = /^pb_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789'

export function newTokenId(): string {
  const bytes = randomBytes(12)
  let id = ''
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length]
  return id
}

/** A fresh token and the record to store (the token itself is never stored). */
export async function issueToken(name: string, scope: Scope, now: number, id = newTokenId()): Promise<{ token: string; record: TokenRecord }> {
  const token = `pb_${id}_${toBase64Url(randomBytes(32))}`
  return { token, record: { id, name, hash: await sha256Hex(token), scope, createdAt: now } }
}

/** The stored record for a presented token, or undefined when the token is unknown or wrong. */
export async function verifyToken(store: TokenStore, presented: string, envAdminHash?: string): Promise<TokenRecord | undefined> {
  const m = TOKEN_PATTERN.exec(presented)
  // Hash even when the shape is wrong so a malformed token costs the same as a wrong one.
  const hash = await sha256Hex(presented)
  if (envAdminHash && timingSafeEqual(utf8(hash), utf8(envAdminHash))) return ENV_ADMIN_RECORD
  if (!m) return undefined
  const record = await store.get(m[1]!)
  if (!record) return undefined
  return timingSafeEqual(utf8(hash), utf8(record.hash)) ? record : undefined
}

/** Reads `Authorization: Bearer <token>`; undefined when absent or of another scheme. */
export function bearerFrom(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return m?.[1]
}

export function canPublish(scope: Scope, topicName: string): boolean {
  return scope.admin || scope.publish.some((f) => matchTopic(f, topicName))
}

export function canReadTopic(scope: Scope, topicName: string): boolean {
  return scope.admin || scope.read.some((f) => matchTopic(f, topicName))
}

/** A filter may be read only when one of the token's read filters covers all of it. */
export function canReadFilter(scope: Scope, topicFilter: string): boolean {
  return scope.admin || scope.read.some((f) => filterCovers(f, topicFilter))
}

export const ADMIN_SCOPE: Scope = { publish: ['#'], read: ['#'], admin: true }

/** The record that stands for POSTBRIDGE_ADMIN_TOKEN, which lives in the environment rather than the store. */
export const ENV_ADMIN_RECORD: TokenRecord = Object.freeze({
  id: 'env-admin',
  name: 'POSTBRIDGE_ADMIN_TOKEN',
  hash: '',
  scope: ADMIN_SCOPE,
  createdAt: 0,
})

/** Tokens verified recently, by id: at most this many are remembered. */
export const VERIFIED_CACHE_SIZE = 1024

/**
 * verifyToken with a memory of tokens already verified, so a busy client costs one constant-time byte
 * comparison and one store read per request instead of a SHA-256 (which Web Crypto runs off-thread,
 * costing more in hand-offs than in hashing). The store is still read each time, so a revocation made
 * by another process (the CLI) takes effect on the next request.
 */
export function createTokenVerifier(store: TokenStore, envAdminHash?: string) {
  // The secrets as presented and verified: compared as text, so a request encodes nothing (timingSafeEqualText).
  const verified = new Map<string, { presented: string; hash: string }>()
  let envAdmin: string | undefined
  return async (presented: string): Promise<TokenRecord | undefined> => {
    if (envAdmin !== undefined && timingSafeEqualText(presented, envAdmin)) return ENV_ADMIN_RECORD
    const id = TOKEN_PATTERN.exec(presented)?.[1]
    const cached = id ? verified.get(id) : undefined
    if (id && cached && timingSafeEqualText(presented, cached.presented)) {
      const record = await store.get(id)
      if (record && record.hash === cached.hash) return record
      verified.delete(id)
      return undefined
    }
    const record = await verifyToken(store, presented, envAdminHash)
    if (record === ENV_ADMIN_RECORD) envAdmin = presented
    else if (record) {
      if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!)
      verified.set(record.id, { presented, hash: record.hash })
    }
    return record
  }
}
