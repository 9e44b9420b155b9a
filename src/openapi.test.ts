import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { openApiYaml } from './openapi.js'

describe('openapi.yaml', () => {
  it('is the document the routes generate (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')
    expect(committed).toBe(await openApiYaml())
  })

  it('documents multi-level topics as one {topic} parameter', async () => {
    const doc = parse(await openApiYaml())
    expect(Object.keys(doc.paths)).toContain('/v1/publish/{topic}')
    expect(Object.keys(doc.paths).some((p) => p.includes('.+'))).toBe(false)
  })
})
