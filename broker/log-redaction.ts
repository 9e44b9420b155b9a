/**
 * Secrets blanked before a log line is written: a key named authorization, password, token or secret, at the top of
 * the logged object and in each object one level down (so `headers.authorization` too), and in the serialized `err`.
 * These are the places pino's `redact` paths `key` and `*.key` cover, with the same output; pino's own redaction
 * re-parses its paths and copies every object value on every line, this copies an object only when it holds a secret.
 */
import { stdSerializers } from 'pino'

export const CENSOR = '[redacted]'
const SECRET_KEYS = ['authorization', 'password', 'token', 'secret']
/** The same places written as pino `redact` paths: what the tests and the bench compare this module with. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => [key, `*.${key}`]).concat('headers.authorization')

/** pino's `errorKey`: its value is serialized (below) before it is looked into. */
const ERROR_KEY = 'err'

const hasOwn = Object.prototype.hasOwnProperty
const isEnumerableOwn = Object.prototype.propertyIsEnumerable

function isSecretKey(key: string): boolean {
  return SECRET_KEYS.includes(key)
}

/** A top-level value pino would write (it skips undefined and functions) under a secret key. */
function isShownSecret(key: string, value: unknown): boolean {
  return isSecretKey(key) && value !== undefined && typeof value !== 'function'
}

/** Objects whose own keys JSON writes: not arrays (only their items) and not dates (their time). */
function holdsSecret(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return false
  for (const key of SECRET_KEYS) if (isEnumerableOwn.call(value, key)) return true
  return false
}

/** A copy of `value` with its secrets blanked: same prototype (so a `toJSON` still applies), own enumerable keys. */
function blankChildren(value: object): object {
  const copy = Object.create(Object.getPrototypeOf(value)) as object
  for (const key in value) {
    if (hasOwn.call(value, key)) setOwn(copy, key, isSecretKey(key) ? CENSOR : (value as Record<string, unknown>)[key])
  }
  return copy
}

function needsBlanking(key: string, value: unknown): boolean {
  return isShownSecret(key, value) || (key !== ERROR_KEY && holdsSecret(value))
}

/**
 * pino's `formatters.log`: `obj` itself when it holds no secret, which is nearly every line, else a copy with the
 * secrets blanked.
 */
export function redactSecrets<T extends object>(obj: T): T {
  const record = obj as Record<string, unknown>
  for (const key in record) {
    if (hasOwn.call(record, key) && needsBlanking(key, record[key])) return blankedCopy(record) as T
  }
  return obj
}

function blankedCopy(record: Record<string, unknown>): object {
  const copy = {}
  for (const key in record) {
    if (!hasOwn.call(record, key)) continue
    const value = record[key]
    setOwn(copy, key, isShownSecret(key, value) ? CENSOR : key !== ERROR_KEY && holdsSecret(value) ? blankChildren(value) : value)
  }
  return copy
}

/** defineProperty, not assignment: an own key named __proto__ stays a key, as JSON writes it. */
function setOwn(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/** pino's `err` serializer, then the secrets among the keys it copied from the error. */
export function serializeError(err: unknown): unknown {
  const serialized: unknown = stdSerializers.err(err as Error)
  return holdsSecret(serialized) ? blankChildren(serialized) : serialized
}
