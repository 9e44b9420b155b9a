/**
 * A fuzz test of the HTTP API (issue 10): requests generated from openapi.yaml (operations, parameters, body schemas)
 * with valid, boundary and invalid values and hostile headers, sent to a running node with tokens of several scopes.
 * Nothing answers a 5xx the contract does not list for the operation, every error is problem+json, nothing outside
 * the scope of the token used changes, and the process stays within a memory bound.
 *
 * FUZZ_RUNS (default 200; `npm run fuzz` runs 20,000) and FUZZ_SEED replay a run; the seed is printed.
 */
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import fc from 'fast-check'
import { parse } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { canPublish, canReadFilter } from '../src/auth/token.js'
import type { Scope } from '../src/ports/types.js'
import { startTestHome, TEST_ADMIN_TOKEN, type TestHome } from './fixtures/home.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31
const MiB = 1024 * 1024

type Schema = Record<string, unknown> & {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
}
interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  schema?: Schema
}
interface Operation {
  method: string
  path: string
  parameters: Parameter[]
  body?: { type: string; schema: Schema }
  statuses: number[]
}

const doc = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, unknown> }>
  >
  components: { schemas: Record<string, Schema> }
}

function resolve(schema: Schema | undefined): Schema {
  let s = schema ?? {}
  for (let i = 0; i < 10 && s.$ref; i++) s = doc.components.schemas[s.$ref.split('/').pop()!] ?? {}
  return s
}

/** Operations with no side effect outside this process (a notifier test would call the provider's server). */
const OPERATIONS: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
    .filter(([method]) => !(path === '/v1/notifiers/{id}/test' && method === 'post'))
    .map(([method, op]) => {
      const [type, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? []
      return {
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(type && content ? { body: { type, schema: content.schema } } : {}),
        statuses: Object.keys(op.responses).map(Number),
      }
    }),
)

// --- values: valid, boundary and hostile ---
const SCOPES: Record<string, Scope> = {
  publisher: { publish: ['fuzz/pub/#'], read: [], admin: false },
  reader: { publish: [], read: ['fuzz/read/#'], admin: false },
  nobody: { publish: [], read: [], admin: false },
}
const TOPICS = [
  'fuzz/pub/a',
  'fuzz/pub/b/c',
  'fuzz/read/x',
  'fuzz/other',
  'home/door',
  'a',
  '/',
  '//',
  ' ',
  'bulk',
  '$SYS/x',
  '$postbridge/x',
  'fuzz/pub/%FF',
  'fuzz/pub/\u00e9',
  'fuzz/pub/\ud800',
  'fuzz/pub/a\u0000b',
  'x'.repeat(300),
  '__proto__',
  'constructor',
  'fuzz/pub/__proto__',
  'fuzz/read/toString',
]
const FILTERS = [
  '#',
  '+',
  'fuzz/pub/#',
  'fuzz/read/#',
  'fuzz/read/+',
  'fuzz/+/x',
  'fuzz/#/x',
  'a+',
  '',
  '$SYS/#',
  'fuzz/read/\u0000',
  '__proto__',
  'fuzz/read/constructor',
  'hasOwnProperty/#',
]
const URLS = [
  'http://192.0.2.1/hook',
  'https://192.0.2.2:8443/x',
  'http://127.0.0.1/',
  'http://169.254.169.254/latest',
  'ftp://192.0.2.1/',
  'http://user:pw@192.0.2.1/',
  'not a url',
  'http://[::1]/',
  'http://224.0.0.1/',
]
const HOSTILE = [
  '',
  ' ',
  '\u0000',
  '\r\n',
  'a\r\nX-Injected: 1',
  '\ud800',
  '\uffff',
  '%00',
  '../../etc/passwd',
  '<script>',
  '{{7*7}}',
  '${PATH}',
  'env:PATH',
  'env:POSTBRIDGE_ADMIN_TOKEN',
  'x'.repeat(70_000),
]
const ids: string[] = ['wh_x', 'door', 'phone', 'nope', '..', '%2e%2e', 'x'.repeat(500)]

/** Names of Object.prototype members, on purpose wherever a caller names something (ids, topics, JSON keys, query and header names). */
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']
const protoName = fc.constantFrom(...PROTO_NAMES)
ids.push(...PROTO_NAMES)

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), protoName)

function stringFor(name: string, schema: Schema): fc.Arbitrary<string> {
  if (schema.enum) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...(schema.enum as string[])) }, { weight: 1, arbitrary: hostileString })
  const lower = name.toLowerCase()
  const pool =
    lower === 'topic' || lower === 'responsetopic'
      ? TOPICS
      : lower.includes('filter') || lower === 'read' || lower === 'publish'
        ? FILTERS
        : lower.includes('url') || lower === 'server'
          ? URLS
          : lower === 'id'
            ? ids
            : lower === 'secret'
              ? ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=', 'whsec_', 'short']
              : undefined
  return pool
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: hostileString })
    : fc.oneof(fc.string({ maxLength: 20 }), hostileString)
}

function numberFor(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined
  const edges = [0, -1, 1, 2 ** 31, 2 ** 53, 1.5, ...(min !== undefined ? [min, min - 1] : []), ...(max !== undefined ? [max, max + 1] : [])]
  return fc.oneof(fc.constantFrom(...edges), integer ? fc.integer({ min: -5, max: 100 }) : fc.double({ noNaN: true, noDefaultInfinity: true }))
}

/** Values a JSON schema describes, with boundary values, and now and then a value of the wrong type. */
function arbitraryOf(schemaIn: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn)
  const wrong = fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant([]), fc.constant({}))
  const right = ((): fc.Arbitrary<unknown> => {
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const options = schema[key] as Schema[] | undefined
      if (options?.length) return fc.oneof(...options.map((o) => arbitraryOf(o, name, depth + 1)))
    }
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
    if (schema.enum && type !== 'string') return fc.constantFrom(...schema.enum)
    if (type === 'string') return stringFor(name, schema)
    if (type === 'integer') return numberFor(schema, true)
    if (type === 'number') return numberFor(schema, false)
    if (type === 'boolean') return fc.boolean()
    if (type === 'array') return depth > 3 ? fc.constant([]) : fc.array(arbitraryOf(schema.items, name, depth + 1), { maxLength: 4 })
    // A record (user properties, webhook headers): its keys are the caller's names.
    if (type === 'object' && !schema.properties && schema.additionalProperties && typeof schema.additionalProperties === 'object')
      return depth > 3
        ? fc.constant({})
        : fc.dictionary(fc.oneof(protoName, fc.string({ maxLength: 10 })), arbitraryOf(schema.additionalProperties as Schema, name, depth + 1), {
            maxKeys: 3,
          })
    if (type === 'object' || schema.properties) {
      if (depth > 3) return fc.constant({})
      const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, arbitraryOf(v, k, depth + 1)]))
      const record = fc.record(props, { requiredKeys: (schema.required ?? []).filter((k) => k in props) })
      // Now and then an unknown field.
      return fc
        .tuple(record, fc.option(fc.constantFrom('extra', '__proto__', 'constructor'), { freq: 8 }))
        .map(([r, extra]) => (extra ? { ...r, [extra]: 1 } : r))
    }
    // Any JSON (a payload): now and then an object keyed by those names.
    return fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      { weight: 1, arbitrary: fc.dictionary(protoName, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
    )
  })()
  return fc.oneof({ weight: 9, arbitrary: right }, { weight: 1, arbitrary: wrong })
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/vnd.x+json',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json\u00e9',
  'garbage',
  '',
]

/** Percent-encodes, writing a lone surrogate as the bytes of its (invalid) UTF-8 form instead of throwing. */
function encode(v: string): string {
  try {
    return encodeURIComponent(v)
  } catch {
    return [...v].map((ch) => (/^[\ud800-\udfff]$/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join('')
  }
}

interface FuzzRequest {
  op: Operation
  token: string
  path: string
  query: string
  contentType: string | undefined
  body: string | undefined
  extraHeaders: [string, string][]
}

function requestOf(tokens: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...OPERATIONS).chain((op) => {
    const pathParams = op.parameters.filter((p) => p.in === 'path')
    const queryParams = op.parameters.filter((p) => p.in === 'query')
    return fc
      .record({
        op: fc.constant(op),
        token: fc.constantFrom(...Object.keys(tokens)),
        // Path values stay under Node's header size limit: a longer URL is refused before the app sees it.
        params: fc.tuple(
          ...pathParams.map((p) =>
            p.name === 'topic' ? fc.constantFrom(...TOPICS) : stringFor(p.name, resolve(p.schema)).map((v) => v.slice(0, 1000)),
          ),
        ),
        query: fc.tuple(
          ...queryParams.map((p) =>
            fc.option(p.name === 'timeout' ? fc.constantFrom('1', '50', '0', '-1', '99999999', 'x') : arbitraryOf(p.schema, p.name).map(String), {
              freq: 2,
            }),
          ),
          fc.option(
            fc.oneof(
              fc.constantFrom('retained=true', 'filter=%23&filter=%2B', 'qos=3', 'cursor=%FF', 'limit=1e3'),
              protoName.map((n) => `${n}=1`),
            ),
            {
              freq: 6,
            },
          ),
        ),
        body: op.body
          ? fc.oneof(
              { weight: 6, arbitrary: arbitraryOf(op.body.schema).map((v) => JSON.stringify(v)) },
              { weight: 1, arbitrary: fc.constantFrom('{', '[', '', 'null', '[]', '{"a":', '\u0000', '1e999') },
            )
          : fc.option(fc.string({ maxLength: 20 }), { freq: 4 }),
        contentType: fc.option(
          op.body
            ? fc.oneof({ weight: 5, arbitrary: fc.constant(op.body.type) }, { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES) })
            : fc.constantFrom(...CONTENT_TYPES),
          { freq: 8 },
        ),
        extraHeaders: fc.array(
          fc.oneof(
            protoName.map((n): [string, string] => [n, 'x']),
            fc.constantFrom<[string, string]>(
              ['accept', 'application/json'],
              ['accept', 'text/event-stream'],
              ['x-request-id', 'x'.repeat(200)],
              ['origin', 'http://evil.example'],
              ['accept-encoding', 'gzip, br'],
              ['x-forwarded-for', '127.0.0.1'],
              ['cookie', 'a=b'],
              ['range', 'bytes=0-1'],
            ),
          ),
          { maxLength: 3 },
        ),
      })
      .map(({ op, token, params, query, body, contentType, extraHeaders }) => {
        let path = op.path
        pathParams.forEach((p, i) => {
          const v = params[i] as string
          path = path.replace(`{${p.name}}`, p.name === 'topic' ? v.split('/').map(encode).join('/') : encode(v))
        })
        const parts = query.map((v, i) =>
          v === null || v === undefined ? undefined : i < queryParams.length ? `${queryParams[i]!.name}=${encode(String(v))}` : String(v),
        )
        return {
          op,
          token,
          path,
          query: parts.filter(Boolean).join('&'),
          contentType: contentType ?? undefined,
          body: body ?? undefined,
          extraHeaders,
        }
      })
  })
}

// --- the node and what it holds ---
let home: TestHome
const tokens: Record<string, string> = { admin: TEST_ADMIN_TOKEN, none: '', wrong: 'pb_nope_0000000000000000000000000000' }

async function snapshot() {
  const retained = (await home.bus.retained('#')).map((m) => `${m.topic}=${Buffer.from(m.payload).toString('hex')}`).sort()
  const tokenList = (await home.deps.tokens.list()).map((t) => JSON.stringify([t.id, t.name, t.scope])).sort()
  const hooks = (await home.deps.webhooks!.list()).map((h) => ({
    id: h.id,
    filter: h.filter,
    text: JSON.stringify([h.filter, h.url, h.enabled, h.headerNames]),
  }))
  return { retained, tokens: tokenList, hooks }
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>

/** What a non-admin token may have changed, compared before and after its request. */
function outOfScopeChanges(scope: Scope, before: Snapshot, after: Snapshot): string[] {
  const problems: string[] = []
  const outside = (list: string[]) => list.filter((e) => !canPublish(scope, e.slice(0, e.lastIndexOf('='))))
  if (JSON.stringify(outside(before.retained)) !== JSON.stringify(outside(after.retained))) problems.push('retained outside publish scope changed')
  if (JSON.stringify(before.tokens) !== JSON.stringify(after.tokens)) problems.push('tokens changed')
  const foreign = (s: Snapshot) =>
    s.hooks
      .filter((h) => !canReadFilter(scope, h.filter))
      .map((h) => `${h.id}:${h.text}`)
      .sort()
  if (JSON.stringify(foreign(before)) !== JSON.stringify(foreign(after))) problems.push('webhooks outside read scope changed')
  return problems
}

async function send(r: FuzzRequest): Promise<{ status: number; contentType: string | null } | undefined> {
  const headers: [string, string][] = [...r.extraHeaders]
  if (tokens[r.token]) headers.push(['authorization', `Bearer ${tokens[r.token]}`])
  if (r.contentType !== undefined) headers.push(['content-type', r.contentType])
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), 10_000)
  try {
    const res = await fetch(`${home.httpUrl}${r.path}${r.query ? `?${r.query}` : ''}`, {
      method: r.op.method,
      headers,
      ...(r.body !== undefined && r.op.method !== 'GET' ? { body: r.body } : {}),
      signal: controller.signal,
    })
    // An event stream never ends by itself: its headers are the answer.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel()
    else await res.arrayBuffer()
    return { status: res.status, contentType: res.headers.get('content-type') }
  } catch (err) {
    // The client refused to send it (a header value fetch will not write): nothing reached the server.
    if (err instanceof TypeError && !String(err.cause ?? '').includes('ECONNRESET') && !String(err.cause ?? '').includes('other side closed'))
      return undefined
    throw err
  } finally {
    clearTimeout(timer)
  }
}

/** Requests no HTTP client library sends: framing conflicts, no Host, huge or non-Latin-1 headers. */
const RAW_REQUESTS = [
  'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /v1/publish HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
  'GET /v1/retained HTTP/1.1\r\n\r\n',
  `GET /v1/retained HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  'GET /v1/retained HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\n\r\n',
  'POST /v1/publish/fuzz/pub/a HTTP/1.1\r\nHost: x\r\nContent-Type: text/pl\u00e9in\r\nContent-Length: 1\r\n\r\nx',
  'GET /v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
  'BREW /v1/publish HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/retained?filter=%23 HTTP/1.0\r\n\r\n',
]

function sendRaw(text: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const socket = connect(home.httpPort, '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')))
    let got = ''
    socket.on('data', (d) => (got += d.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => resolveStatus(Number(/^HTTP\/1\.[01] (\d{3})/.exec(got)?.[1] ?? 0)))
    socket.setTimeout(5000, () => socket.destroy())
  })
}

describe('API fuzz (issue 10)', () => {
  beforeAll(async () => {
    home = await startTestHome({ http: { requestTimeout: 50, maxRequestTimeout: 100 }, webhooks: { timeout: '200ms' } })
    for (const [name, scope] of Object.entries(SCOPES)) {
      const res = await home.api('/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, ...scope }),
      })
      const created = (await res.json()) as { id: string; token: string }
      tokens[name] = created.token
      ids.push(created.id)
    }
    // Something to change or read: retained messages in and out of each scope, a webhook of the admin's.
    for (const topic of ['fuzz/pub/a', 'fuzz/read/x', 'fuzz/other'])
      await home.bus.publish({ topic, payload: new TextEncoder().encode(topic), qos: 1, retain: true })
    const hook = await home.api('/v1/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: 'home/#', url: 'http://192.0.2.1/admin', headers: { authorization: 'Bearer secret' } }),
    })
    ids.push(((await hook.json()) as { id: string }).id)
    console.log(`API fuzz: seed ${SEED}, ${RUNS} runs (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`)
  })
  afterAll(async () => {
    await home?.stop()
  })

  it(
    'answers generated requests without an unlisted 5xx, with problem+json errors, and never outside the token scope',
    async () => {
      const rssBefore = process.memoryUsage().rss
      let rssPeak = rssBefore
      await fc.assert(
        fc.asyncProperty(requestOf(tokens), async (r) => {
          const scope = SCOPES[r.token]
          const before = scope ? await snapshot() : undefined
          const answer = await send(r)
          if (!answer) return
          const where = `${r.op.method} ${r.path}?${r.query} as ${r.token}`.slice(0, 300)
          if (answer.status >= 500) expect(r.op.statuses, `${where} answered ${answer.status}`).toContain(answer.status)
          // Node's own refusals (400, 431 with no body) come before the app; the rest must be problem+json.
          const nodeRefusal = (answer.status === 400 || answer.status === 431) && answer.contentType === null
          if (answer.status >= 400 && !nodeRefusal) expect(answer.contentType, `${where} answered ${answer.status}`).toBe('application/problem+json')
          if (scope && before) expect(outOfScopeChanges(scope, before, await snapshot()), where).toEqual([])
          rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      )
      expect(rssPeak - rssBefore).toBeLessThan(300 * MiB)
    },
    Math.max(60_000, RUNS * 500),
  )

  it('answers requests no client library sends without a 5xx, and keeps serving', async () => {
    for (const raw of RAW_REQUESTS) {
      const status = await sendRaw(raw)
      expect(status >= 500, `${JSON.stringify(raw.slice(0, 60))} answered ${status}`).toBe(false)
    }
    expect((await home.api('/v1/health')).status).toBe(200)
  })
})
