/** Zod schemas shared by several routes; they are also the OpenAPI components. */
import { z } from '@hono/zod-openapi'
import { ownKeyRecord } from '../config/own-key-record.js'
import { hasLoneSurrogate } from '../topic/validate.js'

export const qosQuery = z
  .enum(['0', '1', '2'], { message: 'qos must be 0, 1 or 2' })
  .default('1')
  .transform((q) => Number(q) as 0 | 1 | 2)
  .openapi({ param: { name: 'qos', in: 'query' }, description: 'MQTT QoS; 1 unless given', example: '1' })

export const booleanQuery = (name: string, description: string) =>
  z
    .enum(['true', 'false', '1', '0'], { message: `${name} must be true or false` })
    .default('false')
    .transform((v) => v === 'true' || v === '1')
    .openapi({ param: { name, in: 'query' }, description })

export const topicParam = z.object({
  topic: z
    .string()
    .openapi({ param: { name: 'topic', in: 'path' }, description: 'MQTT topic name; its "/" stay as they are', example: 'home/relay/1/set' }),
})

/**
 * An MQTT UTF-8 string: no U+0000 [MQTT-1.5.4-2] (a libmosquitto subscriber drops its connection on one) and
 * no lone surrogate, which has no UTF-8 form [MQTT-1.5.4-1].
 */
const mqttString = z
  .string()
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)')
  .refine((s) => !hasLoneSurrogate(s), 'must not contain a lone surrogate (not UTF-8)')

export const propertiesSchema = z
  .strictObject({
    contentType: mqttString.max(1024).optional(),
    payloadFormatIndicator: z.boolean().optional(),
    messageExpiryInterval: z.number().int().min(0).max(0xffffffff).optional(),
    responseTopic: z.string().optional(),
    correlationData: z.string().optional().openapi({ description: 'base64' }),
    // Every name a caller gives is kept, `__proto__` too (own-key-record.ts); documented as the record it is.
    userProperties: ownKeyRecord(mqttString, z.union([mqttString, z.array(mqttString)]))
      .openapi({ type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] } })
      .optional(),
  })
  .openapi('MessageProperties', { description: 'MQTT 5 publish properties' })

export const publishEnvelopeSchema = z
  .strictObject({
    topic: z.string().openapi({ example: 'home/relay/1/set' }),
    payload: z.unknown().openapi({ description: 'text for utf8, base64 text for base64, any JSON value for json', example: 'ON' }),
    encoding: z.enum(['utf8', 'base64', 'json']).default('utf8'),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)], { message: 'qos must be 0, 1 or 2' }).default(1),
    retain: z.boolean().default(false),
    properties: propertiesSchema.optional(),
  })
  .openapi('PublishEnvelope')

export type PublishEnvelope = z.output<typeof publishEnvelopeSchema>

export const receiptSchema = z
  .object({
    id: z.string(),
    topic: z.string(),
    qos: z.number().int(),
    retain: z.boolean(),
    bytes: z.number().int(),
    queued: z.boolean().optional().openapi({ description: 'true when the message is held for later delivery (202)' }),
  })
  .openapi('PublishReceipt')

export const messageSchema = z
  .object({
    topic: z.string(),
    payload: z.string(),
    encoding: z.enum(['utf8', 'base64']),
    qos: z.number().int(),
    retain: z.boolean(),
    properties: propertiesSchema.optional(),
  })
  .openapi('Message')
