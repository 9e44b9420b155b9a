/**
 * Secrets of notifiers: a value, or `env:NAME` read from the environment when the alert is sent. The config file
 * must use `env:NAME` (secrets come from the environment only); the API may store plain values, which it never
 * shows again.
 */
import type { NotifierSpec } from './config.js'
import { ENV_REF, SECRET_FIELDS } from './config.js'
import { SECRET_ENV_PREFIX } from '../config/atoms.js'
import { parseSecret } from '../webhooks/sign.js'

export type Env = Record<string, string | undefined>

export const MASK = '********'

function secretValues(n: NotifierSpec): [string, string][] {
  const record = n as unknown as Record<string, unknown>
  return SECRET_FIELDS[n.type].flatMap((f) => (typeof record[f] === 'string' ? [[f, record[f] as string] as [string, string]] : []))
}

/** The variables a notifier's secrets reference. */
export function secretEnvNames(n: NotifierSpec): string[] {
  return secretValues(n).flatMap(([, raw]) => {
    const ref = ENV_REF.exec(raw)
    return ref ? [ref[1]!] : []
  })
}

/** Why the notifier's secrets cannot be used, per field ("token: environment variable NTFY_TOKEN is not set"). */
export function secretProblems(n: NotifierSpec, env: Env, mayRead: (name: string) => boolean = () => true): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = []
  for (const [field, raw] of secretValues(n)) {
    const ref = ENV_REF.exec(raw)
    if (ref && !mayRead(ref[1]!)) {
      problems.push({
        field,
        message: `environment variable ${ref[1]} may not be read: name it ${SECRET_ENV_PREFIX}..., or reference it in the config file`,
      })
      continue
    }
    const value = ref ? env[ref[1]!] : raw
    if (ref && (value === undefined || value === '')) {
      problems.push({ field, message: `environment variable ${ref[1]} is not set` })
      continue
    }
    if (n.type === 'webhook' && field === 'secret' && value !== undefined) {
      const parsed = parseSecret(value)
      if ('reason' in parsed) problems.push({ field, message: parsed.reason })
    }
  }
  return problems
}

/** The notifier with every `env:NAME` replaced by its value; throws when one is missing (checked at start and on create). */
export function resolveSecrets<T extends NotifierSpec>(n: T, env: Env): T {
  const out = { ...n } as Record<string, unknown>
  for (const [field, raw] of secretValues(n)) {
    const ref = ENV_REF.exec(raw)
    if (!ref) continue
    const value = env[ref[1]!]
    if (value === undefined || value === '') throw new Error(`notifier "${n.id}": environment variable ${ref[1]} is not set`)
    out[field] = value
  }
  return out as T
}

/** For display: plain secrets masked, references kept (they name a variable, not a value). */
export function maskSecrets(n: NotifierSpec): Record<string, unknown> {
  const out = { ...n } as Record<string, unknown>
  for (const [field, raw] of secretValues(n)) out[field] = ENV_REF.test(raw) ? raw : MASK
  return out
}
