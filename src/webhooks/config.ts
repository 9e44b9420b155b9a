/** The `webhooks` section of postbridge.yaml; its atoms come from the leaf src/config/atoms.ts. */
import { z } from 'zod'
import { durationMs, envRefName, secretRefSchema, topicFilterSchema } from '../config/atoms.js'
import { checkUrlSyntax } from './url-policy.js'
import { ownKeyRecord } from '../config/own-key-record.js'
import { checkHeaders } from './headers.js'

function buildSchema() {
  const webhookUrlSchema = z.string().superRefine((url, ctx) => {
    const reason = checkUrlSyntax(url)
    if (reason) ctx.addIssue({ code: 'custom', message: reason })
  })

  // Every header name is kept, `__proto__` too (own-key-record.ts).
  const webhookHeadersSchema = ownKeyRecord(z.string(), z.string()).superRefine((headers, ctx) => {
    const reason = checkHeaders(headers)
    if (reason) ctx.addIssue({ code: 'custom', message: reason })
  })

  /** A webhook declared in the file: created at start, updated when the file changes, removed when it leaves the file. */
  const declaredHook = z
    .strictObject({
      /** Stable name, kept across restarts; API-made hooks use `wh_...` ids, so those are not allowed here. */
      id: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'id must be 1-64 letters, digits, "_", "." or "-"')
        .refine((id) => !id.startsWith('wh_'), 'ids starting with "wh_" are for webhooks made through the API'),
      filter: topicFilterSchema,
      url: webhookUrlSchema,
      headers: webhookHeadersSchema.default({}),
      enabled: z.boolean().default(true),
      /**
       * `env:NAME`: the `whsec_...` secret is in the environment variable NAME (secrets never go in the file), as for
       * notifiers. Without it a secret is generated on first start and kept; an admin sets a known one with
       * PATCH /v1/webhooks/{id} {"secret"}.
       */
      secret: secretRefSchema.optional(),
      /** Deprecated: `secretEnv: NAME` is `secret: env:NAME`. */
      secretEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'secretEnv must be an environment variable name')
        .optional(),
    })
    .refine((h) => h.secret === undefined || h.secretEnv === undefined, {
      message: 'give secret: env:NAME or the older secretEnv, not both',
      path: ['secretEnv'],
    })
    // One field downstream: the variable's name, whichever way it was written.
    .transform(({ secret, ...h }) => (secret !== undefined ? { ...h, secretEnv: envRefName(secret) } : h))

  return z
    .strictObject({
      /** Allow loopback (127.0.0.0/8, ::1) and link-local (169.254.0.0/16, fe80::/10) targets. LAN targets are always allowed. */
      allowPrivate: z.boolean().default(false),
      /** Per attempt, until the whole response is read; a slower receiver counts as failed. */
      timeout: durationMs.default(10_000),
      /** Attempts per message, the first included; with the default backoff 8 spans about 55 minutes. */
      maxAttempts: z.number().int().min(1).max(100).default(8),
      /** A message still undelivered this long after it matched is dead, whatever attempts are left (e.g. after a long outage). */
      maxAge: durationMs.default(86_400_000),
      /** Wait before the 2nd attempt; each next wait is 3x longer (±20 % jitter), none over an hour. */
      retryBase: durationMs.default(3000),
      /** Webhooks one token may create through the API (declared hooks do not count). */
      maxPerToken: z.number().int().min(1).default(20),
      /**
       * Bytes of message bodies one webhook's outbox holds (4 MiB: thousands of sensor messages, a few camera frames).
       * Past it the oldest pending messages go to dead; dead ones are kept up to the same amount, oldest deleted first.
       */
      maxOutboxBytes: z
        .number()
        .int()
        .min(1024)
        .default(4 * 1024 * 1024),
      hooks: z.array(declaredHook).default([]),
    })
    .superRefine((section, ctx) => {
      const seen = new Set<string>()
      section.hooks.forEach((h, i) => {
        if (seen.has(h.id)) ctx.addIssue({ code: 'custom', path: ['hooks', i, 'id'], message: `duplicate webhook id "${h.id}"` })
        seen.add(h.id)
      })
    })
    .prefault({})
}

let built: ReturnType<typeof buildSchema> | undefined

/** The section's schema (built once). */
export function webhooksConfigSchema(): ReturnType<typeof buildSchema> {
  return (built ??= buildSchema())
}

export type WebhooksConfig = z.output<ReturnType<typeof buildSchema>>
export type DeclaredWebhook = WebhooksConfig['hooks'][number]
