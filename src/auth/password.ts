/** Salted slow password hashes (PBKDF2-SHA256 via Web Crypto) for MQTT users. Format: `pbkdf2-sha256$<iterations>$<salt>$<hash>`. */
import { fromBase64, randomBytes, timingSafeEqual, toBase64, utf8 } from '../util/bytes.js'

/** OWASP 2023 suggests 600k for PBKDF2-SHA256; a Raspberry Pi 3 takes ~1 s at that, so we stop at 210k (~0.3 s) and cache successes. */
export const PBKDF2_ITERATIONS = 210_000

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)
  return new Uint8Array(bits)
}

export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(password, salt, iterations)
  return `pbkdf2-sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iterText, saltText, hashText] = stored.split('$')
  const iterations = Number(iterText)
  const salt = saltText ? fromBase64(saltText) : undefined
  const expected = hashText ? fromBase64(hashText) : undefined
  if (scheme !== 'pbkdf2-sha256' || !Number.isInteger(iterations) || iterations < 1 || !salt || !expected) return false
  return timingSafeEqual(await derive(password, salt, iterations), expected)
}
