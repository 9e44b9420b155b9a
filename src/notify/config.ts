/**
 * The `sensors` and `notifiers` sections: one zod schema each, used by the config file and by the HTTP API.
 * This module must not import ../config.js: that file imports these sections, and the cycle would leave one of
 * them undefined at load time.
 */
import { z } from 'zod'
import { ENV_REF } from '../config/atoms.js'
import { validateTopicName } from '../topic/validate.js'
import { parseDuration } from '../util/duration.js'

/** Door changes closer together than this are one alert: reed switches bounce and doors rattle. */
export const DEFAULT_DEBOUNCE_MS = 2000
/** Alerts per notifier per hour before the rest are held back and summarised. */
export const DEFAULT_RATE_LIMIT_PER_HOUR = 20

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v)
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a ${what} (use 90s, 15m, 24h or 7d)` })
      return z.NEVER
    }
    return ms
  })

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit')

const topicName = z.string().superRefine((t, ctx) => {
  const reason = validateTopicName(t)
  if (reason) ctx.addIssue({ code: 'custom', message: reason })
})

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM, 24-hour clock')

/** `3.3` (volts) or `"20%"`. */
const batteryThreshold = z.union([z.number().positive(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return { value: v, unit: 'V' as const }
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v)
  if (m && Number(m[1]) <= 100) return { value: Number(m[1]), unit: '%' as const }
  ctx.addIssue({ code: 'custom', message: `"${v}" is not a battery level (volts such as 3.3, or a percentage such as "20%")` })
  return z.NEVER
})

const values = z.array(z.string().min(1)).min(1)

export const payloadSchema = z.strictObject({
  stateField: z.string().min(1).default('state'),
  /** Volts; values above 100 are taken as millivolts, as ESP.getVcc() reports them. */
  batteryField: z.string().min(1).default('battery'),
  batteryPctField: z.string().min(1).default('battery_pct'),
  openValues: values.default(['open', '1', 'true']),
  closedValues: values.default(['closed', '0', 'false']),
  /** Payloads that are a Last Will rather than a reading (compared without case). */
  willValues: values.default(['offline', 'lost']),
})

/** A button on the alert's notification: publishes `payload` to `topic` once; without a topic it only acknowledges. */
export const actionSchema = z.strictObject({
  label: z.string().min(1).max(40),
  topic: topicName.optional(),
  payload: z.string().max(4096).default(''),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  retain: z.boolean().default(false),
  /** The events whose alerts carry the button. */
  on: z
    .array(z.enum(['opened', 'closed', 'battery_low', 'silent', 'back', 'will']))
    .min(1)
    .default(['opened']),
})

export type ActionSpec = z.output<typeof actionSchema>

export const sensorSchema = z.strictObject({
  id,
  name: z.string().min(1).max(100),
  /** The topic name the device publishes to. */
  topic: topicName,
  kind: z.literal('door').default('door'),
  /** How often the device reports when nothing happens; silent after 1.5 times this. No dead-man alarm when absent. */
  heartbeat: duration('duration').optional(),
  batteryLow: batteryThreshold.optional(),
  notify: z.array(id).default([]),
  quietHours: z.strictObject({ from: clockTime, to: clockTime }).optional(),
  payload: payloadSchema.prefault({}),
  debounce: duration('duration').default(DEFAULT_DEBOUNCE_MS),
  /** Where the device's Last Will arrives, when not on `topic` itself. */
  willTopic: topicName.optional(),
  /** Which events alert the notifiers; every event is recorded either way. */
  alertOn: z.array(z.enum(['opened', 'closed', 'battery_low', 'silent', 'back', 'will'])).optional(),
  /** Opened when the notification is tapped (a camera page, a dashboard). */
  click: z.url({ protocol: /^https?$/ }).optional(),
  /** Buttons on the alerts (ntfy allows three). Their URLs start with http.publicUrl. */
  actions: z.array(actionSchema).max(3).optional(),
})

export type SensorInput = z.input<typeof sensorSchema>
export type SensorSpec = z.output<typeof sensorSchema>
export type PayloadConfig = z.output<typeof payloadSchema>

/** A secret field: the value itself, or `env:NAME` to read it from the environment when sending. */
const secret = z.string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') }).min(1)
const httpUrl = z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? 'required' : 'must be an http(s) URL') })

const common = {
  id,
  /** Alerts per hour on this channel before the rest are held back and summarised in one message. */
  rateLimit: z.number().int().positive().default(DEFAULT_RATE_LIMIT_PER_HOUR),
}

export const ntfySchema = z.strictObject({
  ...common,
  type: z.literal('ntfy'),
  server: httpUrl,
  topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'ntfy topics are 1-64 letters, digits, "-" or "_"'),
  token: secret.optional(),
})
export const gotifySchema = z.strictObject({ ...common, type: z.literal('gotify'), server: httpUrl, token: secret })
export const pushoverSchema = z.strictObject({
  ...common,
  type: z.literal('pushover'),
  appToken: secret,
  userKey: secret,
  apiBase: httpUrl.default('https://api.pushover.net'),
})
export const telegramSchema = z.strictObject({
  ...common,
  type: z.literal('telegram'),
  botToken: secret,
  chatId: z.union([z.string().min(1), z.number().int()]),
  apiBase: httpUrl.default('https://api.telegram.org'),
})
export const webhookSchema = z.strictObject({ ...common, type: z.literal('webhook'), url: httpUrl, secret: secret.optional() })

export const NOTIFIER_TYPES = ['ntfy', 'gotify', 'pushover', 'telegram', 'webhook'] as const

export const notifierSchema = z.discriminatedUnion('type', [ntfySchema, gotifySchema, pushoverSchema, telegramSchema, webhookSchema], {
  error: (issue) =>
    issue.code === 'invalid_union' && issue.input === undefined
      ? `type is required (one of ${NOTIFIER_TYPES.join(', ')})`
      : `unknown notifier type (use one of ${NOTIFIER_TYPES.join(', ')})`,
})

export type NotifierInput = z.input<typeof notifierSchema>
export type NotifierSpec = z.output<typeof notifierSchema>
export type NotifierType = NotifierSpec['type']

/** The fields of each notifier type that hold secrets: never shown by the API, `env:NAME` in the config file. */
export const SECRET_FIELDS: Record<NotifierType, readonly string[]> = {
  ntfy: ['token'],
  gotify: ['token'],
  pushover: ['appToken', 'userKey'],
  telegram: ['botToken'],
  webhook: ['secret'],
}

// The one way to name a secret in the environment, shared with webhooks.
export { ENV_REF }

function uniqueIds(items: { id: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${item.id}" is used twice` })
    seen.add(item.id)
  })
}

/** `sensors:` in postbridge.yaml. Notifier ids are checked against `notifiers:` when the service starts. */
export const sensorsSection = z.array(sensorSchema).superRefine(uniqueIds).default([])

/** `notifiers:` in postbridge.yaml. Secrets come from the environment only: the file says `env:NAME`. */
export const notifiersSection = z
  .array(notifierSchema)
  .superRefine((notifiers, ctx) => {
    uniqueIds(notifiers, ctx)
    notifiers.forEach((n, i) => {
      for (const field of SECRET_FIELDS[n.type]) {
        const value = (n as Record<string, unknown>)[field]
        if (typeof value === 'string' && !ENV_REF.test(value)) {
          ctx.addIssue({ code: 'custom', path: [i, field], message: `secrets come from the environment: write "env:NAME" and set NAME` })
        }
      }
    })
  })
  .default([])
