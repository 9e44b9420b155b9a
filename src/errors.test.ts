/** The error catalog is complete and true: unique codes, every entry answered somewhere, every docs link resolves. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as catalog from './errors.js'
import { ApiError, DOCS_BASE } from './errors.js'
import { headingAnchors } from './testing/heading-anchors.js'

const ROOT = new URL('..', import.meta.url).pathname
const entries = Object.entries(catalog).filter((e): e is [string, ApiError] => e[1] instanceof ApiError)

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

describe('the error catalog', () => {
  it('has unique codes, and each code starts with its status', () => {
    const codes = entries.map(([, e]) => e.code)
    expect(new Set(codes).size).toBe(codes.length)
    for (const [name, e] of entries) expect(String(e.code).slice(0, 3), name).toBe(String(e.status))
  })

  it('has no entry that no answer uses', () => {
    const code = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'broker')), ...sources(join(ROOT, 'worker'))]
      .filter((f) => !f.endsWith('/src/errors.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n')
    const unused = entries.map(([name]) => name).filter((name) => !new RegExp(`\\b${name}\\b`).test(code))
    expect(unused).toEqual([])
  })

  it('links every entry to a heading that exists on its documentation page', () => {
    const broken = entries
      .filter(([, e]) => {
        const [page, anchor] = e.doc.split('#')
        if (!page || !anchor || !existsSync(join(ROOT, page))) return true
        return !headingAnchors(readFileSync(join(ROOT, page), 'utf8')).has(anchor)
      })
      .map(([name, e]) => `${name}: ${e.doc}`)
    expect(broken).toEqual([])
  })

  it('gives each problem a type URL that names the page and heading', () => {
    for (const [name, e] of entries) expect(e.type, name).toBe(`${DOCS_BASE}${e.doc}`)
    expect(catalog.errTopicInvalid.type).toBe('https://github.com/postbridge/postbridge/blob/main/docs/mqtt.md#topics')
  })

  it('answers qos 3 with the qos entry, malformed JSON with its own entry, and a bug with a catalog 500', async () => {
    const { createTestApp } = await import('./testing/test-app.js')
    const t = await createTestApp({
      health: () => {
        throw new Error('a bug')
      },
    })
    const qos = await t.call('/v1/publish/home/x?qos=3', { method: 'POST', body: 'x' })
    expect([qos.status, ((await qos.json()) as { code: number }).code]).toEqual([400, 40004])
    const envelope = await t.call('/v1/publish', {
      method: 'POST',
      body: JSON.stringify({ topic: 'home/x', payload: 'x', qos: 7 }),
      headers: { 'content-type': 'application/json' },
    })
    expect([envelope.status, ((await envelope.json()) as { code: number }).code]).toEqual([400, 40004])
    const json = await t.call('/v1/publish', { method: 'POST', body: '{"topic":', headers: { 'content-type': 'application/json' } })
    expect([json.status, ((await json.json()) as { code: number }).code]).toEqual([400, 40005])
    const bug = await t.call('/v1/health')
    expect(bug.status).toBe(500)
    expect(bug.headers.get('content-type')).toBe('application/problem+json')
    expect(await bug.json()).toMatchObject({ code: 50010, title: 'internal error', type: expect.stringMatching(/#errors$/) })
  })
})
