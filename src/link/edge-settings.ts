/** The edge's settings from the Worker's vars and secrets, checked once with every bad value named. */
import { ConfigError, parseDuration } from '../config.js'
import { DEFAULT_MAX_BULK, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, EDGE_MAX_REQUEST_TIMEOUT_MS } from '../config/defaults.js'
import type { ApiLimits } from '../ports/types.js'

export interface EdgeSettings {
  /** Secrets from `wrangler secret put` (or .dev.vars); never logged. */
  adminToken?: string
  edgeSecret?: string
  maxPayloadBytes: number
  /** Publishes held while home is offline; a publish beyond this is refused with 503. */
  queueMax: number
  /** A held publish older than this is dropped (and counted) instead of delivered. */
  queueMaxAgeMs: number
  /** How long a publish waits for home's acknowledgement before it is answered 202 (it stays queued). */
  ackTimeoutMs: number
  /** Webhooks at the edge may target loopback and link-local addresses (only useful under `wrangler dev`). */
  webhooksAllowPrivate: boolean
}

export const EDGE_DEFAULTS = {
  maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES,
  // 1000 commands is far more than a house sends in a day of outage; it bounds Durable Object storage.
  queueMax: 1000,
  // A switch command older than a day is more surprising than useful when home returns.
  queueMaxAgeMs: 24 * 3_600_000,
  // Home acks within a round trip; 10 s covers a slow mobile uplink without holding the caller long.
  ackTimeoutMs: 10_000,
  webhooksAllowPrivate: false,
} as const

/** The Worker's vars: every name the edge reads. */
export interface EdgeVars {
  POSTBRIDGE_ADMIN_TOKEN?: string
  POSTBRIDGE_EDGE_SECRET?: string
  POSTBRIDGE_MAX_PAYLOAD_BYTES?: string
  POSTBRIDGE_EDGE_QUEUE_MAX?: string
  POSTBRIDGE_EDGE_QUEUE_MAX_AGE?: string
  POSTBRIDGE_EDGE_ACK_TIMEOUT?: string
  POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE?: string
}

export function parseEdgeSettings(vars: EdgeVars): EdgeSettings {
  const problems: string[] = []
  const count = (name: keyof EdgeVars, fallback: number, max: number): number => {
    const raw = vars[name]
    if (raw === undefined || raw === '') return fallback
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
      problems.push(`${name}: "${raw}" is not a whole number between 1 and ${max}`)
      return fallback
    }
    return Number(raw)
  }
  const duration = (name: keyof EdgeVars, fallback: number): number => {
    const raw = vars[name]
    if (raw === undefined || raw === '') return fallback
    const ms = parseDuration(raw)
    if (ms === undefined || ms <= 0) {
      problems.push(`${name}: "${raw}" is not a duration (use 90s, 15m, 24h or 7d)`)
      return fallback
    }
    return ms
  }
  const settings: EdgeSettings = {
    maxPayloadBytes: count('POSTBRIDGE_MAX_PAYLOAD_BYTES', EDGE_DEFAULTS.maxPayloadBytes, 16 * 1024 * 1024),
    // MQTT packet ids are 16 bits; the queue maps each held message to one, so it stays below 65535.
    queueMax: count('POSTBRIDGE_EDGE_QUEUE_MAX', EDGE_DEFAULTS.queueMax, 65_000),
    queueMaxAgeMs: duration('POSTBRIDGE_EDGE_QUEUE_MAX_AGE', EDGE_DEFAULTS.queueMaxAgeMs),
    ackTimeoutMs: duration('POSTBRIDGE_EDGE_ACK_TIMEOUT', EDGE_DEFAULTS.ackTimeoutMs),
    webhooksAllowPrivate: vars.POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE === 'true',
  }
  const allowPrivate = vars.POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE
  if (allowPrivate !== undefined && allowPrivate !== '' && allowPrivate !== 'true' && allowPrivate !== 'false') {
    problems.push(`POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE: "${allowPrivate}" is not true or false`)
  }
  for (const name of ['POSTBRIDGE_ADMIN_TOKEN', 'POSTBRIDGE_EDGE_SECRET'] as const) {
    const value = vars[name]
    if (value !== undefined && value.length > 0 && value.length < 16) problems.push(`${name}: must be at least 16 characters`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  if (vars.POSTBRIDGE_ADMIN_TOKEN) settings.adminToken = vars.POSTBRIDGE_ADMIN_TOKEN
  if (vars.POSTBRIDGE_EDGE_SECRET) settings.edgeSecret = vars.POSTBRIDGE_EDGE_SECRET
  return settings
}

/** The API's limits at the edge, for both Durable Objects (the link's and BROKER_URL's). */
export function edgeApiLimits(settings: Pick<EdgeSettings, 'maxPayloadBytes'>): ApiLimits {
  return {
    maxPayloadBytes: settings.maxPayloadBytes,
    maxRequestTimeoutMs: EDGE_MAX_REQUEST_TIMEOUT_MS,
    defaultRequestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    maxBulk: DEFAULT_MAX_BULK,
  }
}
