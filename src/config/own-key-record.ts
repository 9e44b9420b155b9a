/**
 * A JSON object of caller-chosen names, checked like z.record. zod 4's z.record skips a key named `__proto__` (it
 * builds its result in a plain object, where that key would go through the prototype setter): no issue, the value
 * unchecked, and the name silently gone, so a user property or a webhook header by that name was dropped while its
 * request succeeded. Here every own key and its value go through the given schemas, issues are reported under the
 * key as z.record reports them, and the result is built with Object.fromEntries, where every name is an own key.
 */
import { z } from 'zod'

export function ownKeyRecord<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V) {
  return z.unknown().transform((input, ctx): Record<string, z.output<V>> => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'record', input, message: 'must be an object' })
      return z.NEVER
    }
    const entries: [string, z.output<V>][] = []
    for (const [name, raw] of Object.entries(input)) {
      const k = key.safeParse(name)
      if (!k.success) {
        for (const issue of k.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, input: name, path: [name] })
        continue
      }
      const v = value.safeParse(raw)
      if (!v.success) {
        for (const issue of v.error.issues) ctx.issues.push({ code: 'custom', message: issue.message, input: raw, path: [name, ...issue.path] })
        continue
      }
      entries.push([k.data, v.data])
    }
    return Object.fromEntries(entries)
  })
}
