/** The documentation's relative links lead somewhere: every file exists and every #anchor is a heading in it. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { headingAnchors } from '../testing/heading-anchors.js'

const ROOT = new URL('../..', import.meta.url).pathname
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((n) => n.endsWith('.md'))
    .map((n) => `docs/${n}`),
]

/** Markdown links `[text](target)` outside fenced code, without absolute URLs or mailto. */
function relativeLinks(markdown: string): string[] {
  let fenced = false
  const links: string[] = []
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    if (fenced) continue
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1]!)) links.push(m[1]!)
    }
  }
  return links
}

function broken(page: string): string[] {
  const text = readFileSync(join(ROOT, page), 'utf8')
  return relativeLinks(text).filter((link) => {
    const [path, anchor] = link.split('#')
    const target = path ? join(ROOT, dirname(page), path) : join(ROOT, page)
    if (!existsSync(target)) return true
    if (anchor === undefined) return false
    if (statSync(target).isDirectory() || !target.endsWith('.md')) return true
    return !headingAnchors(readFileSync(target, 'utf8')).has(anchor)
  })
}

describe('the documentation links', () => {
  it('finds the README and a page per capability under docs/', () => {
    expect(pages).toContain('README.md')
    expect(pages).toContain('docs/errors.md')
    expect(pages.length).toBeGreaterThan(10)
  })

  it.each(pages)('%s: every relative link resolves to a file, and its #anchor to a heading there', (page) => {
    expect(broken(page).map((l) => `${relative(ROOT, join(ROOT, page))}: ${l}`)).toEqual([])
  })

  it('catches a link to a missing heading or file', () => {
    expect(relativeLinks('[a](docs/x.md#y) `[b](c.md)` [d](https://e.org)\n```\n[f](g.md)\n```')).toEqual(['docs/x.md#y'])
  })
})
