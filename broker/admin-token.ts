/** The first admin token: from POSTBRIDGE_ADMIN_TOKEN, or generated on first start and shown once. */
import { ADMIN_SCOPE, issueToken } from '../src/auth/token.js'
import type { TokenStore } from '../src/ports/token-store.js'
import { sha256Hex } from '../src/util/bytes.js'

export interface AdminBootstrap {
  /** Set when the admin token comes from the environment. */
  envAdminHash?: string
  /** Set only on the start that generated it: the caller shows it once. It is stored hashed. */
  generated?: string
}

export async function bootstrapAdminToken(tokens: TokenStore, envToken: string | undefined, now: number): Promise<AdminBootstrap> {
  if (envToken) return { envAdminHash: await sha256Hex(envToken) }
  const existing = await tokens.list()
  if (existing.some((t) => t.scope.admin)) return {}
  const { token, record } = await issueToken('admin (generated on first start)', ADMIN_SCOPE, now)
  await tokens.create(record)
  return { generated: token }
}
