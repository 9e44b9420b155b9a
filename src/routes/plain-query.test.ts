import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'
import { readPlainQuery } from './plain-query.js'
import { RAW_QUERY_DEFAULTS, RAW_QUERY_TABLE, rawQuerySchema } from './publish.js'

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
