import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findDashboardDir, loadDashboard, loadDashboardFiles } from './dashboard-assets.js'

/** Issue 13: the whole dashboard, charts included, under 100 KiB gzipped (`npm run size:dashboard` prints the detail). */
const BUDGET_BYTES = 100 * 1024

const dir = findDashboardDir()!
const files = loadDashboardFiles(dir)
const text = (path: string) => new TextDecoder().decode(files.get(path)!.body)

describe('the dashboard files in the package', () => {
  it('are found beside broker/ and include index.html and app.js', () => {
    expect(dir).toBeDefined()
    expect(files.get('index.html')!.contentType).toBe('text/html; charset=utf-8')
    expect(files.get('ui/app.js')!.contentType).toBe('text/javascript; charset=utf-8')
    expect(loadDashboard(dir)).toBeDefined()
  })

  it('weigh less than 100 KiB gzipped, all files together [issue 13]', () => {
    let total = 0
    for (const asset of files.values()) total += asset.gzip!.byteLength
    expect(total).toBeLessThan(BUDGET_BYTES)
  })

  it('load nothing from another host: every script, style and import is a file of the dashboard', () => {
    const html = text('index.html')
    const refs = [...html.matchAll(/(?:src|href)="\/(ui\/[^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThanOrEqual(3)
    for (const ref of refs) expect(files.has(ref), ref).toBe(true)
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//)
    for (const [path] of files) {
      if (!path.endsWith('.js')) continue
      const source = readFileSync(join(dir, path), 'utf8')
      for (const m of source.matchAll(/^import .* from '([^']+)'/gm)) {
        const target = join(path, '..', m[1]!).split('\\').join('/')
        expect(files.has(target), `${path} imports ${m[1]}`).toBe(true)
      }
      // The only absolute URL in the scripts is the SVG namespace, which is a name, not a request.
      expect(source.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/(?!192\.168\.|ntfy\.sh|gotify\.local)/)
    }
  })
})

describe('the DashboardAssets port', () => {
  it('answers each file from its first request on, gzipped, the same bytes as in the package', () => {
    const port = loadDashboard(dir)!
    const first = port.get('ui/app.js') as { body: Uint8Array; gzip?: Uint8Array; contentType: string }
    expect(new TextDecoder().decode(first.body)).toBe(readFileSync(join(dir, 'ui', 'app.js'), 'utf8'))
    expect(first.gzip!.byteLength).toBeGreaterThan(0)
    expect(port.get('ui/app.js')).toBe(first)
    expect(port.get('no-such-file.js')).toBeUndefined()
  })
})
