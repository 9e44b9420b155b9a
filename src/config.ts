/** Configuration: one YAML document (parsed by the caller) plus environment overrides. Pure, so both runtimes share it. */
import { z } from 'zod'
import { durationMs, topicFilterSchema } from './config/atoms.js'
import { DEFAULT_MAX_BULK, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './config/defaults.js'
import { validateTopicName } from './topic/validate.js'
import { validateCorsOrigin } from './http/cors.js'
import { API_LIMIT_DEFAULTS } from './limits/defaults.js'
import { parseDuration } from './util/duration.js'
import { notifiersSection, sensorsSection } from './notify/config.js'
import { webhooksConfigSchema } from './webhooks/config.js'

// Re-exported: the atoms every section uses live in src/config/atoms.ts (a leaf module).
export { durationMs, parseDuration, topicFilterSchema }

const port = z.number().int().min(0).max(65535)

/** The longest finite MQTT 5 Session Expiry Interval, 0xFFFFFFFE seconds (0xFFFFFFFF means never). */
/** mqtt.maxStoredPerSession and mqtt.maxStoredBytesPerSession by default; the broker's too when it is given none. */
export const STORED_QUEUE_DEFAULTS = { maxMessages: 1000, maxBytes: 16 * 1024 * 1024 } as const

const MAX_SESSION_EXPIRY_MS = 0xfffffffe * 1000

/** A topic name used as the start of other topics: no wildcards, no trailing "/". */
const topicPrefix = z.string().superRefine((t, ctx) => {
  const reason = validateTopicName(t) ?? (t.endsWith('/') ? 'must not end with "/"' : undefined)
  if (reason) ctx.addIssue({ code: 'custom', message: reason })
})

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
  mqtt: z
    .strictObject({
      port: port.default(1883),
      /** Anonymous clients are accepted from loopback only, unless this is true. */
      allowAnonymous: z.boolean().default(false),
      /** Anonymous clients from loopback (direct TCP and WebSocket without proxy headers); false behind a reverse proxy or TCP tunnel on this host. */
      anonymousFromLoopback: z.boolean().default(true),
      /** `$SYS/broker/...` statistics, mosquitto's names, this often; 0 turns them off. Under 1 s would mostly rewrite the store. */
      sysInterval: durationMs.refine((ms) => ms === 0 || ms >= 1000, 'must be 0 (off) or at least 1s').default(10_000),
      /** Nagle's algorithm adds ~40 ms to small QoS 0 messages on some stacks; devices want them now. */
      noDelay: z.boolean().default(true),
      /** Largest MQTT packet accepted from a client. */
      maxPacketBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
      /** Messages queued per slow subscriber before QoS 0 messages to it are dropped. */
      maxQueuedPerClient: z.number().int().positive().default(1000),
      /**
       * Messages stored per persistent session while its client is away or behind (Mosquitto's max_queued_messages,
       * EMQX's max_mqueue_len, both 1000 by default); more are dropped for that session alone.
       */
      maxStoredPerSession: z.number().int().positive().default(STORED_QUEUE_DEFAULTS.maxMessages),
      /**
       * Bytes (payload and topic) stored per persistent session; a message that would go past it is dropped for that
       * session alone (Mosquitto's max_queued_bytes). 16 MiB holds the 1000 messages at 16 KiB each, or 16 messages
       * of the largest packet mqtt.maxPacketBytes allows by default, and bounds the disk a session takes.
       */
      maxStoredBytesPerSession: z.number().int().positive().default(STORED_QUEUE_DEFAULTS.maxBytes),
      /** Largest CONNECT (will included); until its CONNACK a connection may send this plus 8 KiB. */
      maxConnectBytes: z
        .number()
        .int()
        .min(64)
        .max(1024 * 1024)
        .default(16 * 1024),
      /** HTTP paths that accept MQTT over WebSocket; [] turns MQTT over WebSocket off. */
      websocketPaths: z.array(z.string().regex(/^\/[^?#\s]*$/, 'must start with / and hold no query')).default(['/mqtt', '/']),
      /** Failed logins per source address and per username, in a rolling window: back off, then refuse (0x9F / 0x05). */
      loginThrottle: z
        .strictObject({
          /** Failures in the window before each attempt waits (250 ms, doubling, up to 8 s). */
          backoffAfter: z.number().int().min(1).default(5),
          /** Failures in the window before attempts are refused outright. */
          refuseAfter: z.number().int().min(1).default(20),
          /** How long a failure counts. */
          window: durationMs.default(15 * 60_000),
          /** Password checks waiting at once, whole broker (each costs a PBKDF2 run, ~0.3 s on a Pi). */
          maxPending: z.number().int().min(1).default(64),
        })
        .refine((t) => t.refuseAfter > t.backoffAfter, { message: 'refuseAfter must be greater than backoffAfter', path: ['refuseAfter'] })
        .prefault({}),
      /** MQTT 5: topic aliases a client may set (advertised in CONNACK; 0 turns them off). */
      topicAliasMaximum: z.number().int().min(0).max(65535).default(10),
      /** MQTT 5: QoS 2 messages a client may have in flight to the broker (advertised; more: DISCONNECT 0x93). */
      receiveMaximum: z.number().int().min(1).max(65535).default(100),
      /** MQTT 5: cap on a client's keep-alive in seconds, sent as Server Keep Alive; 0 = no cap. */
      maxKeepAlive: z.number().int().min(0).max(65535).default(60),
      /**
       * How long a persistent session with no expiry of its own (MQTT 3.1.1 Clean Session 0) is kept once its client
       * went, as Mosquitto's persistent_client_expiration; 0 keeps it for ever. A device gone for good would otherwise
       * keep its queue growing for ever: 30 days outlast any holiday of a device that still comes back.
       */
      persistentSessionExpiry: durationMs
        .refine((ms) => ms === 0 || (ms >= 1000 && ms <= MAX_SESSION_EXPIRY_MS), 'must be 0 (never) or between 1s and 136 years')
        .default(30 * 24 * 60 * 60_000),
      users: z.array(mqttUser).default([]),
    })
    .prefault({}),
  http: z
    .strictObject({
      port: port.default(8080),
      /** Largest publish body the API accepts (413 beyond it). */
      maxPayloadBytes: z.number().int().positive().default(DEFAULT_MAX_PAYLOAD_BYTES),
      requestTimeout: durationMs.default(DEFAULT_REQUEST_TIMEOUT_MS),
      maxRequestTimeout: durationMs.default(DEFAULT_MAX_REQUEST_TIMEOUT_MS),
      maxBulk: z.number().int().positive().default(DEFAULT_MAX_BULK),
      /** The address a phone reaches this node at (alert buttons link to it), e.g. https://pi.example.net:8080. */
      publicUrl: z
        .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
      /** How long an alert button works. */
      actionTtl: durationMs.default(60 * 60 * 1000),
      /** Browser apps on these origins (https://app.example.com) may call the API; none by default. */
      cors: z
        .strictObject({
          origins: z
            .array(
              z.string().superRefine((o, ctx) => {
                const reason = validateCorsOrigin(o)
                if (reason) ctx.addIssue({ code: 'custom', message: reason })
              }),
            )
            .default([]),
        })
        .prefault({}),
      // Resource bounds of the API (src/limits/defaults.ts says why each default): docs/http-api.md lists the answer at each.
      maxJsonBytes: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxJsonBytes),
      maxBulkBytes: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxBulkBytes),
      sseBufferBytes: z.number().int().positive().default(API_LIMIT_DEFAULTS.sseBufferBytes),
      maxStreams: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxStreams),
      maxStreamsPerToken: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxStreamsPerToken),
      maxRequests: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxRequests),
      maxRequestsPerToken: z.number().int().positive().default(API_LIMIT_DEFAULTS.maxRequestsPerToken),
      retainedPageBytes: z.number().int().positive().default(API_LIMIT_DEFAULTS.retainedPageBytes),
    })
    .prefault({}),
  webhooks: webhooksConfigSchema(),
  /** Door sensors and their alert channels (src/notify/config.ts); notifier secrets as env:NAME. */
  sensors: sensorsSection,
  notifiers: notifiersSection,
  /** The link to the edge, a Cloudflare Worker (docs/edge.md); off unless url is set. Its secret: POSTBRIDGE_EDGE_SECRET only. */
  edge: z
    .strictObject({
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
    })
    .prefault({}),
  /**
   * TLS for MQTT (its own port) and for the HTTP API and MQTT over secure WebSocket (on http.port), from PEM files
   * that are reloaded when they change. Off unless cert and key are set (or POSTBRIDGE_TLS_CERT / _KEY).
   */
  tls: z
    .strictObject({
      cert: z.string().min(1).optional(),
      key: z.string().min(1).optional(),
      /** CA bundle client certificates must chain to; clients are asked for one when this is set. */
      ca: z.string().min(1).optional(),
      /** Refuse TLS clients without a certificate from `ca` (mosquitto's require_certificate). */
      requireClientCert: z.boolean().default(false),
      /** A verified client certificate's Common Name is the MQTT username, no password (mosquitto's use_identity_as_username). */
      useIdentityAsUsername: z.boolean().default(false),
      mqttPort: port.default(8883),
      /** Serve the HTTP API (and MQTT over WebSocket) as HTTPS/WSS on http.port. */
      https: z.boolean().default(true),
      /** How often the certificate files are checked for a renewal. */
      watchInterval: durationMs.default(5000),
    })
    .superRefine((t, ctx) => {
      if (!t.cert !== !t.key) ctx.addIssue({ code: 'custom', path: [t.cert ? 'key' : 'cert'], message: 'tls needs both cert and key' })
      if (t.requireClientCert && !t.ca)
        ctx.addIssue({ code: 'custom', path: ['ca'], message: 'requireClientCert needs the CA of the client certificates' })
      if (t.useIdentityAsUsername && !t.ca)
        ctx.addIssue({ code: 'custom', path: ['ca'], message: 'useIdentityAsUsername needs the CA of the client certificates' })
      if ((t.ca || t.requireClientCert) && !t.cert)
        ctx.addIssue({ code: 'custom', path: ['cert'], message: 'client certificates need TLS: set cert and key' })
    })
    .prefault({}),
  /** Home Assistant MQTT discovery of the door sensors (docs/home-assistant.md); off unless discovery is true. */
  homeAssistant: z
    .strictObject({
      discovery: z.boolean().default(false),
      /** Home Assistant's discovery prefix, as set in its MQTT integration. */
      prefix: topicPrefix.default('homeassistant'),
      /** Where Postbridge publishes each sensor's door, battery and availability for Home Assistant to read. */
      statePrefix: topicPrefix.default('postbridge/sensors'),
    })
    .prefault({}),
  /** Use an MQTT broker that already runs (mosquitto, EMQX) instead of the embedded one. Its password: POSTBRIDGE_BROKER_PASSWORD only. */
  broker: z
    .strictObject({
      /** mqtt://host:1883, mqtts://host:8883, ws(s)://host/mqtt; without it the embedded broker runs. */
      external: z
        .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' })
        .refine((u) => !new URL(u).password, 'must not hold a password (set POSTBRIDGE_BROKER_PASSWORD)')
        .optional(),
      username: z.string().min(1).optional(),
    })
    .prefault({}),
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
  POSTBRIDGE_TLS_CERT: ['tls', 'cert'],
  POSTBRIDGE_TLS_KEY: ['tls', 'key'],
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
  result.data.sensors.forEach((sensor, i) => {
    if (sensor.actions?.length && !result.data.http.publicUrl && !result.data.edge.url) {
      problems.push(`sensors.${i}.actions: alert buttons need http.publicUrl or edge.url, an address a phone reaches`)
    }
  })
  if (problems.length > 0) throw new ConfigError(problems)
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
  if (secret !== undefined && secret.length > 0 && secret.length < 16)
    throw new ConfigError(['POSTBRIDGE_EDGE_SECRET: must be at least 16 characters'])
  if (edge.url && !secret) throw new ConfigError(["edge.url is set but POSTBRIDGE_EDGE_SECRET is not (the same secret as the Worker's)"])
  return { ...edge, ...(secret ? { secret } : {}) }
}
