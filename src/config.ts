/** Configuration: one YAML document (parsed by the caller) plus environment overrides. Pure, so both runtimes share it. */
import { z } from 'zod'
import { validateTopicFilter } from './topic/validate.js'
import { parseDuration } from './util/duration.js'
import { notifiersSection, sensorsSection } from './notify/config.js'
import { webhooksConfigSchema } from './webhooks/config.js'

// Re-exported: the config's durations and the notifier's are read by the same function.
export { parseDuration }

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
  /** The link to the edge, a Cloudflare Worker (README.md, The edge); off unless url is set. Its secret: POSTBRIDGE_EDGE_SECRET only. */
  edge: z.strictObject({
    /** The Worker's base URL, e.g. https://postbridge.example.workers.dev; the home node dials <url>/v1/link. */
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    /** Topic filters of what the home sends up to the edge. */
    up: z.array(topicFilterSchema).min(1).default(['#']),
    /** Reconnect waits: the first is random in the upper half of the min, doubling per failed attempt up to the max. */
    minReconnectDelay: durationMs.default(1000),
    maxReconnectDelay: durationMs.default(60_000),
    /** MQTT keep-alive of the link: home notices a dead link within 1.5 times this, and so does the edge. */
    keepalive: durationMs.refine((ms) => ms >= 1000 && ms <= 65_535_000, 'must be between 1s and 65535s').default(30_000),
    /** Messages up held on disk while the edge has not acknowledged them; beyond this the oldest are dropped (and counted). */
    outboxMax: z.number().int().min(1).max(1_000_000).default(10_000),
  }).prefault({}),
  /** Use an MQTT broker that already runs (mosquitto, EMQX) instead of the embedded one. Its password: POSTBRIDGE_BROKER_PASSWORD only. */
  broker: z.strictObject({
    /** mqtt://host:1883, mqtts://host:8883, ws(s)://host/mqtt; without it the embedded broker runs. */
    external: z
      .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
      .refine((u) => !new URL(u).password, 'must not hold a password (set POSTBRIDGE_BROKER_PASSWORD)')
      .optional(),
    username: z.string().min(1).optional(),
  }).prefault({}),
})

type ParsedConfig = z.output<typeof configSchema>

export type Config = Omit<ParsedConfig, 'edge' | 'broker'> & {
  /** From POSTBRIDGE_ADMIN_TOKEN only: secrets never come from the file. */
  adminToken?: string
  /** `secret` from POSTBRIDGE_EDGE_SECRET only. */
  edge: ParsedConfig['edge'] & { secret?: string }
  /** `password` from POSTBRIDGE_BROKER_PASSWORD only. */
  broker: ParsedConfig['broker'] & { password?: string }
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
  POSTBRIDGE_EDGE_URL: ['edge', 'url'],
  POSTBRIDGE_BROKER_EXTERNAL: ['broker', 'external'],
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
  const edge = edgeSecrets(result.data.edge, env.POSTBRIDGE_EDGE_SECRET)
  const broker = { ...result.data.broker, ...(env.POSTBRIDGE_BROKER_PASSWORD ? { password: env.POSTBRIDGE_BROKER_PASSWORD } : {}) }
  return { ...result.data, edge, broker, ...(adminToken ? { adminToken } : {}) }
}

/** The edge section with its secret from the environment; a link without a secret cannot connect, so it fails here. */
function edgeSecrets(edge: ParsedConfig['edge'], secret: string | undefined): Config['edge'] {
  if (secret !== undefined && secret.length > 0 && secret.length < 16) throw new ConfigError(['POSTBRIDGE_EDGE_SECRET: must be at least 16 characters'])
  if (edge.url && !secret) throw new ConfigError(['edge.url is set but POSTBRIDGE_EDGE_SECRET is not (the same secret as the Worker\'s)'])
  return { ...edge, ...(secret ? { secret } : {}) }
}
