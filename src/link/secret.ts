/** The edge secret check, in time that does not depend on where the presented secret differs. */
import { timingSafeEqual, utf8 } from '../util/bytes.js'

/**
 * Whether `presented` is the edge secret. Both sides are hashed first so that the comparison also
 * does not reveal the secret's length.
 */
export async function edgeSecretMatches(presented: string | Uint8Array | undefined, secret: string): Promise<boolean> {
  if (presented === undefined || secret.length === 0) return false
  const bytes = typeof presented === 'string' ? utf8(presented) : presented
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>), crypto.subtle.digest('SHA-256', utf8(secret))])
  return timingSafeEqual(new Uint8Array(a), new Uint8Array(b))
}
