/** Configuration: one YAML document (parsed by the caller) plus environment overrides. Pure, so both runtimes share it. */
import { z } from 'zod'
import { validateTopicFilter } from './topic/validate.js'
import { notifiersSection, sensorsSection } from './notify/config.js'
import { webhooksConfigSchema } from './webhooks/config.js'

/** Durations as `250ms`, `90s`, `15m`, `24h`, `7d`, or a number of milliseconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value)
  if (!m) return undefined
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms']
  return Math.round(Number(m[1]) * unit)
}

export const durationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use 90s, 15m, 24h or 7d)` })
    return z.NEVER
  }
  return ms
})

export const topicFilterSchema = z.string().superRefine((f, ctx) => {
  const reason = validateTopicFilter(f)
  if (reason) ctx.addIssue({ code: 'custom', message: reason })
})

const port = z.number().int().min(0).max(65535)

const mqttUser = z.strictObject({
  username: z.string().min(1),
  /** `pbkdf2-sha256$...` as printed by `postbridge user hash`; plain passwords never go in the file. */
  passwordHash: z.string().startsWith('pbkdf2-sha256$'),
  publish: z.array(topicFilterSchema).default([]),
  subscribe: z.array(topicFilterSchema).default([]),
})

export const configSchema = z.strictObject({
  /** Address both listeners bind to. */
  host: z.string().default('0.0.0.0'),
  dataDir: z.string().default('./data'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  mqtt: z.strictObject({
    port: port.default(1883),
    /** Anonymous clients are accepted from loopback only, unless this is true. */
    allowAnonymous: z.boolean().default(false),
    /** Nagle's algorithm adds ~40 ms to small QoS 0 messages on some stacks; devices want them now. */
    noDelay: z.boolean().default(true),
    /** Largest MQTT packet accepted from a client. */
    maxPacketBytes: z.number().int().positive().default(1024 * 1024),
    /** Messages queued per slow subscriber before QoS 0 messages to it are dropped. */
    maxQueuedPerClient: z.number().int().positive().default(1000),
    users: z.array(mqttUser).default([]),
  }).prefault({}),
  http: z.strictObject({
    port: port.default(8080),
    /** Largest publish body the API accepts (413 beyond it). */
    maxPayloadBytes: z.number().int().positive().default(256 * 1024),
    requestTimeout: durationMs.default(5000),
    maxRequestTimeout: durationMs.default(60_000),
    maxBulk: z.number().int().positive().default(1000),
  }).prefault({}),
  /** Lazy: webhooks/config.ts imports durationMs from this module. */
  webhooks: z.lazy(() => webhooksConfigSchema()),
  /** Door sensors and their alert channels (src/notify/config.ts); notifier secrets as env:NAME. */
  sensors: sensorsSection,
  notifiers: notifiersSection,
})

export type Config = z.output<typeof configSchema> & {
  /** From POSTBRIDGE_ADMIN_TOKEN only: secrets never come from the file. */
  adminToken?: string
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '))
  }
}

/** Environment variables and the config key each one overrides. */
export const ENV_OVERRIDES = {
  POSTBRIDGE_HOST: ['host'],
  POSTBRIDGE_DATA_DIR: ['dataDir'],
  POSTBRIDGE_LOG_LEVEL: ['logLevel'],
  POSTBRIDGE_MQTT_PORT: ['mqtt', 'port'],
  POSTBRIDGE_HTTP_PORT: ['http', 'port'],
  POSTBRIDGE_MQTT_ALLOW_ANONYMOUS: ['mqtt', 'allowAnonymous'],
} as const satisfies Record<string, readonly string[]>

const NUMERIC_ENV = new Set(['POSTBRIDGE_MQTT_PORT', 'POSTBRIDGE_HTTP_PORT'])
const BOOLEAN_ENV = new Set(['POSTBRIDGE_MQTT_ALLOW_ANONYMOUS'])

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (next === undefined || next === null) node[key] = {}
    else if (typeof next !== 'object') throw new ConfigError([`${path.join('.')}: ${key} is not a section`])
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}

/**
 * Validates the file's document with the environment laid over it, and reports every bad key in one error.
 * `file` is the parsed YAML (or undefined when there is no file).
 */
export function parseConfig(file: unknown, env: Record<string, string | undefined>): Config {
  if (file !== undefined && file !== null && (typeof file !== 'object' || Array.isArray(file))) {
    throw new ConfigError(['the config file must hold a mapping of keys'])
  }
  const doc = structuredClone((file ?? {}) as Record<string, unknown>)
  const problems: string[] = []
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name]
    if (raw === undefined || raw === '') continue
    let value: unknown = raw
    if (NUMERIC_ENV.has(name)) {
      value = /^\d+$/.test(raw) ? Number(raw) : NaN
      if (Number.isNaN(value)) problems.push(`${name}: "${raw}" is not a port number`)
    } else if (BOOLEAN_ENV.has(name)) {
      if (raw !== 'true' && raw !== 'false') problems.push(`${name}: "${raw}" is not true or false`)
      value = raw === 'true'
    }
    setPath(doc, path, value)
  }
  const result = configSchema.safeParse(doc)
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.join('.')
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push(`unknown key "${where ? `${where}.` : ''}${key}"`)
      } else {
        problems.push(`${where || '(root)'}: ${issue.message}`)
      }
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems)
  const adminToken = env.POSTBRIDGE_ADMIN_TOKEN
  if (adminToken !== undefined && adminToken.length > 0 && adminToken.length < 16) {
    throw new ConfigError(['POSTBRIDGE_ADMIN_TOKEN: must be at least 16 characters'])
  }
  return { ...result.data, ...(adminToken ? { adminToken } : {}) }
}
