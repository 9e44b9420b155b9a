import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { catalogEntries, errorsMarkdown } from './errors-table.js'

describe('docs/errors.md', () => {
  it('is the table the error catalog generates (run `npm run docs:errors` after changing src/errors.ts)', () => {
    const committed = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    expect(committed).toBe(errorsMarkdown())
  })

  it('has one row per catalog entry, in code order, linking to its page and heading', () => {
    const rows = errorsMarkdown()
      .split('\n')
      .filter((l) => /^\| \d{5} \|/.test(l))
    expect(rows.map((r) => Number(r.slice(2, 7)))).toEqual(catalogEntries().map((e) => e.code))
    expect(rows).toContain('| 40002 | 400 | topic name is invalid | [mqtt#topics](mqtt.md#topics) |')
  })
})
