/** The dashboard's colours meet WCAG 2.1 AA contrast (4.5:1 for text) in the light and the dark theme [issue 13]. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findDashboardDir } from './dashboard-assets.js'

const css = readFileSync(join(findDashboardDir()!, 'ui', 'app.css'), 'utf8')

/** The custom properties of the first `:root { ... }` block after `from` in the stylesheet. */
function palette(from: number): Record<string, string> {
  const start = css.indexOf(':root {', from)
  const block = css.slice(start, css.indexOf('}', start))
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/g)].map((m) => [m[1]!, m[2]!]))
}

// https://www.w3.org/TR/WCAG21/#dfn-relative-luminance
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

const themes = { light: palette(0), dark: palette(css.indexOf('prefers-color-scheme: dark')) }

describe('dashboard colours', () => {
  for (const [name, p] of Object.entries(themes)) {
    it(`keep text at 4.5:1 or more on every background in the ${name} theme`, () => {
      expect(Object.keys(p).length).toBeGreaterThanOrEqual(12)
      for (const text of ['fg', 'muted', 'accent', 'ok', 'warn', 'bad', 'in', 'out']) {
        for (const bg of ['bg', 'card', 'code']) {
          expect(contrast(p[text]!, p[bg]!), `--${text} on --${bg}`).toBeGreaterThanOrEqual(4.5)
        }
      }
      expect(contrast(p['accent-fg']!, p.accent!), 'button text').toBeGreaterThanOrEqual(4.5)
    })
  }
})
