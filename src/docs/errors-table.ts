/** docs/errors.md, generated from the catalog in src/errors.ts: `npm run docs:errors` (a test fails when it drifts). */
import * as catalog from '../errors.js'
import { ApiError } from '../errors.js'

/** Every catalog entry, ordered by code. */
export function catalogEntries(): ApiError[] {
  return Object.values(catalog)
    .filter((e): e is ApiError => e instanceof ApiError)
    .sort((a, b) => a.code - b.code)
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|')
}

/** The Markdown page: one row per code, each linking to the page and heading that explains it. */
export function errorsMarkdown(): string {
  const rows = catalogEntries().map((e) => {
    const link = e.doc.replace(/^docs\//, '')
    const [page, anchor] = link.split('#')
    const label = `${page!.replace(/\.md$/, '')}#${anchor}`
    return `| ${e.code} | ${e.status} | ${cell(e.title)} | [${label}](${link}) |`
  })
  return [
    '# Error codes',
    '',
    '[Postbridge](../README.md) › Error codes',
    '',
    '<!-- Generated from src/errors.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error the HTTP API answers (at home and at the edge) is `application/problem+json`',
    '([RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)) with one of these stable numeric `code`s. Its `type` is',
    'the address of the page and heading in the last column. The first three digits are the HTTP status.',
    'See [Errors](http-api.md#errors) for what bad input gets which answer.',
    '',
    '| code | status | title | explained in |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n')
}
