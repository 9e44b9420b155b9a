import fc from 'fast-check'
import type { z } from '@hono/zod-openapi'
import { HonoRequest } from 'hono/request'
import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { type PlainQueryTable, readPlainQuery } from './plain-query.js'
import { RAW_QUERY_DEFAULTS, RAW_QUERY_TABLE, rawQuerySchema } from './publish.js'
import { REQUEST_QUERY_DEFAULTS, REQUEST_QUERY_TABLE, requestQuerySchema } from './request.js'
import { LIST_QUERY_DEFAULTS, LIST_QUERY_TABLE, listQuerySchema } from './retained.js'

const URL_BASE = 'http://localhost/v1/publish/a'
const read = (query: string) => readPlainQuery(`${URL_BASE}${query}`, RAW_QUERY_TABLE, RAW_QUERY_DEFAULTS)

describe('readPlainQuery', () => {
  // Every pair the table accepts, alone, together and in either order, against what the schema makes of it.
  const qosPairs = Object.keys(RAW_QUERY_TABLE.qos).map((v) => ['qos', v] as const)
  const retainPairs = Object.keys(RAW_QUERY_TABLE.retain).map((v) => ['retain', v] as const)
  const queries: (readonly (readonly [string, string])[])[] = [[]]
  for (const q of qosPairs) queries.push([q])
  for (const r of retainPairs) queries.push([r])
  for (const q of qosPairs) for (const r of retainPairs) queries.push([q, r], [r, q])

  it.each(queries.map((pairs) => [pairs.map(([k, v]) => `${k}=${v}`).join('&'), pairs] as const))(
    'reads "%s" as the publish query schema does',
    (text, pairs) => {
      const expected = rawQuerySchema.parse(Object.fromEntries(pairs))
      expect(read(text ? `?${text}` : '')).toEqual(expected)
    },
  )

  it.each([
    ['?', 'an empty query'],
    ['?qos=0&', 'an empty pair'],
    ['?&qos=0', 'an empty pair first'],
    ['?qos=0&qos=0', 'a repeated name'],
    ['?qos=0&retained=true', 'an unknown name'],
    ['?q%6fs=0', 'an escaped name'],
    ['?qos=%30', 'an escaped value'],
    ['?qos=+0', 'a plus'],
    ['?qos', 'a name without a value'],
    ['?qos=', 'an empty value'],
    ['?qos=3', 'a value the schema refuses'],
    ['?retain=TRUE', 'a spelling the table lacks'],
    ['?__proto__=0', 'a name of Object.prototype'],
    ['?qos=0#x', 'a fragment'],
  ])('leaves "%s" (%s) to the schema', (query) => {
    expect(read(query)).toBeUndefined()
  })
})

describe('POST /v1/publish/{topic} query through the schema', () => {
  it.each([
    ['q%6fs=0', 0, false],
    ['qos=0&', 0, false],
    ['retain=%74rue', 1, true],
  ])('publishes with "%s" as the schema reads it', async (query, qos, retain) => {
    const t = await createTestApp()
    const res = await t.call(`/v1/publish/a?${query}`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(200)
    expect(t.bus.published[0]).toMatchObject({ qos, retain })
  })

  it.each([
    ['qos=0&qos=1', 40004, 'qos: qos must be 0, 1 or 2'],
    ['qos=3', 40004, 'qos: qos must be 0, 1 or 2'],
    ['retained=true', 40001, 'unknown query parameter(s) "retained"'],
    ['qos=7&retain=maybe', 40001, 'qos: qos must be 0, 1 or 2; retain: retain must be true or false'],
  ])('refuses "%s" with the schema problem', async (query, code, detail) => {
    const t = await createTestApp()
    const res = await t.call(`/v1/publish/a?${query}`, { method: 'POST', body: 'x' })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code, detail })
    expect(t.bus.published).toHaveLength(0)
  })
})

/** What the schema makes of a query as Hono reads it (routes/plain-query.ts schemaQuery), or 'refused'. */
function throughSchema(url: string, schema: z.ZodType): unknown {
  const queries = new HonoRequest(new Request(url)).queries()
  const value = Object.fromEntries(Object.entries(queries).map(([k, v]) => (v.length === 1 ? [k, v[0]] : [k, v])))
  const result = schema.safeParse(value)
  return result.success ? result.data : 'refused'
}

interface Case {
  route: string
  table: PlainQueryTable<object>
  defaults: object
  schema: z.ZodType
  /** Values for each name that the table takes, and a few it must leave to the schema. */
  values: Record<string, string[]>
}
const CASES: Case[] = [
  { route: 'POST /v1/publish/{topic}', table: RAW_QUERY_TABLE, defaults: RAW_QUERY_DEFAULTS, schema: rawQuerySchema, values: {} },
  {
    route: 'POST /v1/request/{topic}',
    table: REQUEST_QUERY_TABLE,
    defaults: REQUEST_QUERY_DEFAULTS,
    schema: requestQuerySchema,
    values: { timeout: ['3000', '0', '007', '99999999999999999', '3e3', '-1', '%33', '+3', ''] },
  },
  {
    route: 'GET /v1/retained',
    table: LIST_QUERY_TABLE,
    defaults: LIST_QUERY_DEFAULTS,
    schema: listQuerySchema,
    values: {
      filter: ['home/door', 'home/%23', 'a/+/b', 'a+b', '%2B', '', 'h%C3%A9', "x.y_z~!$'()*,;:@"],
      limit: ['1', '50', '999999', '0', '1000000', '01', '%31'],
      cursor: ['aG9tZS9h', 'a-b_c', 'aG9tZQ==', '%61', ''],
    },
  },
]

describe.each(CASES)('$route query: plain or through the schema', ({ table, defaults, schema, values }) => {
  // Every name's spellings, the table's own and the given ones, alone and in pairs, in either order.
  const spellings = (name: string) => {
    const entry = table[name as keyof typeof table] as unknown
    return [...(entry instanceof RegExp ? [] : Object.keys(entry as object)), ...(values[name] ?? [])]
  }
  const pairs = Object.keys(table).flatMap((name) => spellings(name).map((v) => `${name}=${v}`))
  const queries = ['', ...pairs, ...pairs.flatMap((a) => pairs.filter((b) => b !== a).map((b) => `${a}&${b}`))]

  it('reads every query it takes as the schema does, and leaves every other to the schema', () => {
    let plain = 0
    for (const q of queries) {
      const url = `http://localhost/v1/x/a${q ? `?${q}` : ''}`
      const read = readPlainQuery(url, table, defaults)
      if (read === undefined) continue
      plain++
      expect(read, q).toEqual(throughSchema(url, schema))
    }
    // The table is not empty of effect: the common spellings are read plainly.
    expect(plain).toBeGreaterThan(Object.keys(table).length)
  })

  it('matches the schema on any query built from the characters a URL query may hold', () => {
    const names = [...Object.keys(table), 'x', '__proto__']
    const value = fc.oneof(fc.constantFrom(...Object.keys(table).flatMap(spellings)), fc.stringMatching(/^[A-Za-z0-9%+=&#/._~-]{0,12}$/))
    const pair = fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => `${n}=${v}`)
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 3 }), (list) => {
        const url = `http://localhost/v1/x/a?${list.join('&')}`
        const read = readPlainQuery(url, table, defaults)
        if (read !== undefined) expect(read).toEqual(throughSchema(url, schema))
      }),
      { numRuns: 2000 },
    )
  })

  it.each(Object.entries(table).filter(([, entry]) => entry instanceof RegExp))(
    'takes every %s its pattern matches as the schema does',
    (name, pattern) => {
      fc.assert(
        fc.property(fc.stringMatching(pattern as RegExp), (v) => {
          const url = `http://localhost/v1/x/a?${name}=${v}`
          const read = readPlainQuery(url, table, defaults)
          expect(read).toEqual(throughSchema(url, schema))
          expect(read).toMatchObject({ [name]: v })
        }),
        { numRuns: 500 },
      )
    },
  )
})

describe('a topic route of GET/DELETE /v1/retained/{topic}: no query at all', () => {
  it.each(['', '?'])('takes "%s" without a schema', (query) => {
    expect(readPlainQuery(`http://localhost/v1/retained/a${query}`, {}, {})).toEqual(query === '' ? {} : undefined)
  })

  it.each([
    ['GET', 'x=1'],
    ['DELETE', 'filter=a'],
    ['GET', 'x'],
  ])('%s refuses "?%s" with the schema problem', async (method, query) => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'a', payload: new Uint8Array([1]), qos: 0, retain: true })
    const res = await t.call(`/v1/retained/a?${query}`, { method })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 40001, detail: expect.stringContaining('unknown query parameter(s)') })
    expect(t.bus.published).toHaveLength(1)
  })
})

describe('routes read a query the table leaves through the schema', () => {
  it('POST /v1/request/{topic} takes an escaped timeout, refuses an unknown name', async () => {
    const t = await createTestApp()
    await t.bus.subscribe(['dev'], () => {
      void t.bus.publish({ topic: 'dev/reply', payload: new Uint8Array([111, 107]), qos: 0, retain: false })
    })
    expect((await t.call('/v1/request/dev?timeout=%31000&qos=%30', { method: 'POST', body: 'x' })).status).toBe(200)
    expect(t.bus.published[0]).toMatchObject({ topic: 'dev', qos: 0 })
    const res = await t.call('/v1/request/dev?timeout=1000&wait=1', { method: 'POST', body: 'x' })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 40001, detail: 'unknown query parameter(s) "wait"' })
    expect(t.bus.published.filter((m) => m.topic === 'dev')).toHaveLength(1)
  })

  it('GET /v1/retained takes an escaped filter and refuses an unknown name', async () => {
    const t = await createTestApp()
    await t.bus.publish({ topic: 'home/a', payload: new Uint8Array([1]), qos: 0, retain: true })
    const page = (await (await t.call('/v1/retained?filter=home%2F%2B&limit=%35')).json()) as { messages: { topic: string }[] }
    expect(page.messages.map((m) => m.topic)).toEqual(['home/a'])
    const res = await t.call('/v1/retained?filter=home/a&page=2')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 40001, detail: 'unknown query parameter(s) "page"' })
  })
})
