/**
 * How CLI commands reach a running node: its own HTTP API, as any client would, so a change made from the CLI takes
 * effect at once (the running node holds webhooks, sensors and connections in memory). The token is --token,
 * POSTBRIDGE_TOKEN or POSTBRIDGE_ADMIN_TOKEN; without one, the CLI makes a one-off admin token in the data directory
 * (whoever may write the data directory is admin already) and revokes it afterwards.
 */
import { ADMIN_SCOPE, issueToken } from '../../src/auth/token.js'
import type { Config } from '../../src/config.js'
import { localUrl } from '../local-url.js'
import { openDatabase } from '../store/db.js'
import { SqliteTokenStore } from '../store/tokens-sqlite.js'

export class ApiCallError extends Error {}

export interface ApiTarget {
  url: string
  token?: string
}

/** The node's own API address from the config. */
export function nodeUrl(config: Config): string {
  return localUrl(config.tls.cert && config.tls.https ? 'https' : 'http', config.host, config.http.port)
}

export function apiTarget(config: Config, env: Record<string, string | undefined>, flags: { url?: string; token?: string }): ApiTarget {
  const token = flags.token ?? env.POSTBRIDGE_TOKEN ?? config.adminToken
  return { url: flags.url ?? nodeUrl(config), ...(token ? { token } : {}) }
}

/** Runs `use` with the target's token, or a one-off admin token made for it and revoked after. */
export async function withToken<T>(config: Config, target: ApiTarget, use: (token: string, oneOff: boolean) => Promise<T>): Promise<T> {
  if (target.token) return use(target.token, false)
  const db = openDatabase(config.dataDir)
  const tokens = new SqliteTokenStore(db)
  const { token, record } = await issueToken(`cli ${new Date().toISOString()}`, ADMIN_SCOPE, Date.now())
  await tokens.create(record)
  try {
    return await use(token, true)
  } finally {
    await tokens.revoke(record.id)
    db.close()
  }
}

/** One API call; a problem answer becomes one line naming the status and the detail. */
export async function callApi(target: ApiTarget, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  let res: Response
  try {
    res = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code
    throw new ApiCallError(
      code === 'ECONNREFUSED' ? `no node answers at ${target.url}: is it running? (--node to name another)` : `${target.url}: ${String(err)}`,
    )
  }
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { title?: string; detail?: string }
    throw new ApiCallError(`${method} ${path}: ${res.status} ${problem.detail ?? problem.title ?? res.statusText}`)
  }
  return res
}
