/**
 * The config vocabulary every section shares: durations, topic filters, environment references to secrets. A leaf
 * module (it imports no section), so src/config.ts and the sections (webhooks, notify) all import it without a cycle.
 */
import { z } from 'zod'
import { validateTopicFilter } from '../topic/validate.js'
import { parseDuration } from '../util/duration.js'

/** `90s`, `15m`, `24h`, `7d` or a number of milliseconds, as milliseconds. */
export const durationMs = z.union([z.string(), z.number()], { error: 'is not a duration (use 90s, 15m, 24h or 7d)' }).transform((v, ctx) => {
  const ms = parseDuration(v)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use 90s, 15m, 24h or 7d)` })
    return z.NEVER
  }
  return ms
})

/** A topic filter (may hold `+` and `#`), checked as a broker checks a SUBSCRIBE. */
export const topicFilterSchema = z.string().superRefine((f, ctx) => {
  const reason = validateTopicFilter(f)
  if (reason) ctx.addIssue({ code: 'custom', message: reason })
})

/** `env:NAME`: a secret read from the environment variable NAME (the config file never holds a secret itself). */
export const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/

/** The variable a secret reference names, or undefined when the value is not an `env:NAME` reference. */
export function envRefName(value: string): string | undefined {
  return ENV_REF.exec(value)?.[1]
}

/** A secret in the config file: `env:NAME` only. */
export const secretRefSchema = z.string().regex(ENV_REF, 'secrets come from the environment: write "env:NAME" and set NAME')

/** Variables named so may always be referenced as secrets, also by entries made through the API. */
export const SECRET_ENV_PREFIX = 'POSTBRIDGE_SECRET_'

/**
 * Whether an `env:NAME` reference may read NAME: a variable named POSTBRIDGE_SECRET_*, or one the config file itself
 * references. Anything else (POSTBRIDGE_ADMIN_TOKEN, a cloud key of the host) stays out of reach of an API caller who
 * could otherwise send it to a notifier they control.
 */
export function maySecretEnv(name: string, listedInFile: ReadonlySet<string>): boolean {
  return name.startsWith(SECRET_ENV_PREFIX) || listedInFile.has(name)
}
