/**
 * The process logger blanks secrets exactly where pino's `redact` option did with the same paths: each case logs the
 * same thing through both and compares the lines (timestamps aside). FUZZ_RUNS sets the random cases (default 500).
 */
import fc from 'fast-check'
import { type Logger as PinoLogger, pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { CENSOR, REDACT_PATHS } from './log-redaction.js'
import { createLogger } from './logger.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 500)
const SECRET_KEYS = ['authorization', 'password', 'token', 'secret']
/** Every secret the generators place starts with this; nothing else they make can contain it. */
const MARK = 'SeCrEt~'

function collector(): { lines: string[]; write: (line: string) => void } {
  const lines: string[] = []
  return { lines, write: (line) => lines.push(line) }
}

/** The two loggers side by side: the process logger and pino's own redaction of the same paths. */
function pair() {
  const now = collector()
  const reference = collector()
  return {
    now: createLogger('debug', now) as unknown as PinoLogger,
    reference: pino({ level: 'debug', redact: { paths: REDACT_PATHS, censor: CENSOR }, base: { name: 'postbridge' } }, reference),
    lines: () => ({ now: now.lines.map(withoutTime), reference: reference.lines.map(withoutTime) }),
  }
}

function withoutTime(line: string): string {
  return line.replace(/^\{"level":(\d+),"time":\d+,/, '{"level":$1,')
}

/** Own keys set with defineProperty, so a generated "__proto__" is a key like any other. */
function objectOf(entries: [string, unknown][], proto: object | null = Object.prototype): Record<string, unknown> {
  const obj = Object.create(proto) as Record<string, unknown>
  for (const [key, value] of entries) {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  }
  return obj
}

class WithToJSON {
  toJSON(this: Record<string, unknown>) {
    return { shown: this }
  }
}

const secretKey = fc.constantFrom(...SECRET_KEYS)
const plainKey = fc
  .oneof(fc.string({ maxLength: 6 }), fc.constantFrom('headers', 'err', 'msg', 'name', '__proto__', 'constructor', 'toJSON', '0', 'level'))
  .filter((key) => !SECRET_KEYS.includes(key))
/**
 * pino's redaction copied every object value by assignment, which turned an own "__proto__" key one level down into
 * the copy's prototype and so dropped it from the line; the process logger writes it. Only the top level has one.
 */
const childKey = plainKey.filter((key) => key !== '__proto__')
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date(),
  fc.constant(() => 'a function'),
)
const secret = fc.string({ maxLength: 8 }).map((s) => MARK + s)
/** What may sit under a secret key: the whole value is blanked, however deep the secret is in it. */
const secretValue = fc.oneof(
  secret,
  secret.map((s) => ({ value: s })),
  secret.map((s) => [s]),
  secret.map((s) => ({ deeper: { value: s } })),
  fc.constant(undefined),
  fc.constant(() => MARK),
  fc.integer(),
)
const prototypeOf = fc.constantFrom<object | null>(Object.prototype, null, WithToJSON.prototype)
/** An object one level down: secrets under secret keys, anything (no secret) under the others. */
const child = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.tuple(secretKey, secretValue),
        fc.tuple(childKey, fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 3 }))),
      ),
      { maxLength: 5 },
    ),
    prototypeOf,
  )
  .map(([entries, proto]) => objectOf(entries, proto))
const errorWith = fc.tuple(fc.string({ maxLength: 8 }), child).map(([message, props]) => {
  // Keys the error serializer reads itself are left to the error.
  const own = Object.entries(props).filter(([key]) => !['message', 'stack', 'cause', 'name', 'errors'].includes(key))
  return Object.assign(new Error(message), Object.fromEntries(own))
})
/** A log line's object: secrets at the top under secret keys, and in objects and errors one level down. */
const logObject = fc
  .array(
    fc.oneof(
      fc.tuple(secretKey, secretValue),
      fc.tuple(plainKey, fc.oneof(leaf, child, fc.array(leaf, { maxLength: 3 }))),
      fc.tuple(fc.constant('err'), fc.oneof(errorWith, child, leaf)),
      fc.tuple(fc.constant('headers'), child),
    ),
    { maxLength: 6 },
  )
  .map((entries) => objectOf(entries))

describe('createLogger', () => {
  it('writes what pino redact wrote for the same paths, and never a secret', () => {
    fc.assert(
      fc.property(logObject, fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), (obj, msg) => {
        const { now, reference, lines } = pair()
        now.info(obj, msg)
        reference.info(obj, msg)
        const written = lines()
        expect(written.now).toEqual(written.reference)
        expect(written.now[0]).not.toContain(MARK)
      }),
      { numRuns: RUNS },
    )
  })

  it('blanks each covered place, and writes an error and an object without secrets as they are', () => {
    const { now, lines } = pair()
    const err = Object.assign(new Error('boom'), { code: 'E_X', token: 'tok' })
    const same = { a: 1 }
    now.info({ password: 'pw', user: { token: 't', name: 'n' }, headers: { authorization: 'Bearer x', accept: '*/*' }, err, same })
    const line = JSON.parse(lines().now[0] ?? '') as Record<string, unknown>
    expect(line).toMatchObject({
      password: '[redacted]',
      user: { token: '[redacted]', name: 'n' },
      headers: { authorization: '[redacted]', accept: '*/*' },
      err: { type: 'Error', message: 'boom', code: 'E_X', token: '[redacted]', stack: expect.stringContaining('Error: boom') },
      same: { a: 1 },
    })
    // Two levels down is not covered, as with the paths.
    now.info({ a: { b: { password: 'deep' } } })
    expect(lines().now[1]).toContain('"password":"deep"')
  })
})
