/**
 * The query of a busy route, read without its schema when it is plain. Parsing every query into an object and
 * through zod cost more than the rest of a publish's checks together; a device sends the same few spellings
 * (`?qos=0`, `?retain=true`) every time. Whatever is not spelled exactly as in the table (an escape, a repeat,
 * an unknown name, an empty pair, a fragment) goes through the schema, so the errors and the edge cases stay
 * the schema's. A free-form string parameter (a timeout, a filter, a cursor) is given as a pattern instead: a value
 * the pattern matches is taken as written, so the pattern must match nothing the query decoding would change
 * (no `%`, no `+`) and nothing the schema would refuse.
 */
import type { Context } from 'hono'
import type { z } from '@hono/zod-openapi'
import { validationProblem } from './env.js'

/**
 * Per parameter name, each accepted spelling of its value and what the schema makes of it; or, for a string
 * parameter, the pattern of the values the schema keeps as they are.
 */
export type PlainQueryTable<T> = { [K in keyof T]-?: Readonly<Record<string, T[K]>> | (string extends T[K] ? RegExp : never) }

/** The parsed query when every pair is a spelling of the table, each name at most once; undefined otherwise. */
export function readPlainQuery<T extends object>(url: string, table: PlainQueryTable<T>, defaults: T): T | undefined {
  // From 8 on, like Hono: past the "https://" of an absolute URL.
  const start = url.indexOf('?', 8)
  if (url.indexOf('#', 8) !== -1) return undefined
  const out = { ...defaults }
  if (start === -1) return out
  // Pair by pair with indexOf, not split: this runs on every publish, and split and a Set cost more than the rest.
  const seen: string[] = []
  for (let at = start + 1; ; ) {
    const amp = url.indexOf('&', at)
    const end = amp === -1 ? url.length : amp
    const eq = url.indexOf('=', at)
    if (eq === -1 || eq > end) return undefined
    const name = url.slice(at, eq)
    if (seen.includes(name) || !Object.hasOwn(table, name)) return undefined
    const values = table[name as keyof T]
    const raw = url.slice(eq + 1, end)
    if (values instanceof RegExp) {
      if (!values.test(raw)) return undefined
      out[name as keyof T] = raw as T[keyof T]
    } else {
      if (!Object.hasOwn(values, raw)) return undefined
      out[name as keyof T] = values[raw] as T[keyof T]
    }
    if (amp === -1) return out
    seen.push(name)
    at = amp + 1
  }
}

/** The route's query through its schema, as Hono's query validator reads it; a bad query throws the 400 problem. */
export async function schemaQuery<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  // The value Hono's query validator hands the schema: one string per name, an array for a repeated name.
  const value = Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => (v.length === 1 ? [k, v[0]] : [k, v])))
  const result = await schema.safeParseAsync(value)
  if (!result.success) throw validationProblem(result.error.issues, 'query')
  return result.data
}
