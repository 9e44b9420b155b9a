/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over "id.timestamp.body" with crypto.subtle,
 * so the same code signs in Node and in the Worker.
 */
import { fromBase64, randomBytes, toBase64, utf8 } from '../util/bytes.js'

export const SECRET_PREFIX = 'whsec_'
/** The spec recommends keys of 24 to 64 bytes; we generate 32. */
export const MIN_SECRET_BYTES = 24
export const MAX_SECRET_BYTES = 64
const GENERATED_SECRET_BYTES = 32

/** A fresh `whsec_<base64 of 32 random bytes>`. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(randomBytes(GENERATED_SECRET_BYTES))
}

/** The key bytes of a `whsec_` secret, or the reason it is not one. */
export function parseSecret(secret: string): { key: Uint8Array<ArrayBuffer> } | { reason: string } {
  if (!secret.startsWith(SECRET_PREFIX)) return { reason: `secret must start with "${SECRET_PREFIX}"` }
  const key = fromBase64(secret.slice(SECRET_PREFIX.length))
  if (!key) return { reason: `secret must be "${SECRET_PREFIX}" followed by base64` }
  if (key.byteLength < MIN_SECRET_BYTES || key.byteLength > MAX_SECRET_BYTES) {
    return { reason: `secret key must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (got ${key.byteLength})` }
  }
  return { key }
}

/** Imports the secret once per webhook: importKey costs more than the HMAC itself. */
export async function importSigningKey(secret: string): Promise<CryptoKey> {
  const parsed = parseSecret(secret)
  if ('reason' in parsed) throw new Error(parsed.reason)
  return crypto.subtle.importKey('raw', parsed.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
}

/**
 * The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "msgId.timestampSeconds.body">`.
 * @example await signPayload(key, 'msg_1', 1700000000, '{"a":1}') // 'v1,K5oZ...'
 */
export async function signPayload(key: CryptoKey, messageId: string, timestampSeconds: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, utf8(`${messageId}.${timestampSeconds}.${body}`))
  return `v1,${toBase64(new Uint8Array(mac))}`
}

/** The three Standard Webhooks headers for one attempt. A retry is signed again with its own timestamp. */
export async function signatureHeaders(key: CryptoKey, messageId: string, nowMs: number, body: string): Promise<Record<string, string>> {
  const timestamp = Math.floor(nowMs / 1000)
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signPayload(key, messageId, timestamp, body),
  }
}
