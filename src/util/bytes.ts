/** Byte helpers on Web APIs only (no Buffer), so they run in Node and workerd alike. */

const encoder = new TextEncoder()
// ignoreBOM spelled out: workers-types requires it (the worker typecheck, worker/tsconfig.json, compiles src/ too).
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  // workers-types types encode() as Uint8Array<ArrayBufferLike>; it always returns a fresh ArrayBuffer.
  return encoder.encode(text) as Uint8Array<ArrayBuffer>
}

/** The UTF-8 text of the bytes, or undefined when they are not valid UTF-8. */
export function tryDecodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const CHUNK = 0x8000 // String.fromCharCode takes arguments on the stack; stay well under its limit
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(binary)
}

/** Decodes standard or URL-safe base64; undefined when the text is not base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return undefined
  try {
    const binary = atob(normalized)
    const out = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
    return out
  } catch {
    return undefined
  }
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** Compares two byte strings in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return diff === 0
}

/**
 * Compares two strings, code unit by code unit, in time that depends only on their lengths. For strings without lone
 * surrogates (every header value, every environment variable) equal text is equal UTF-8, so this is timingSafeEqual
 * of their UTF-8 bytes without encoding them: a secret checked on every request allocates nothing.
 */
export function timingSafeEqualText(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

export function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n)
  crypto.getRandomValues(out)
  return out
}

/** URL-safe base64 without padding, for tokens and ids that travel in headers and URLs. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', utf8(text))
  return toHex(new Uint8Array(digest))
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}
