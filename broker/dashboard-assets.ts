/** The DashboardAssets port on Node: the files under `dashboard/` in the package, read and gzipped once, when first asked for. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DashboardAsset, DashboardAssets } from '../src/ports/dashboard.js'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** `dashboard/` beside `broker/`, whether this file runs from the sources or from `build/broker/`. */
export function findDashboardDir(): string | undefined {
  for (const up of ['../dashboard', '../../dashboard']) {
    const dir = fileURLToPath(new URL(up, import.meta.url))
    if (existsSync(join(dir, 'index.html'))) return dir
  }
  return undefined
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

/** Every file of the dashboard with its gzip, keyed by its path below the folder ('/'-separated). */
export function loadDashboardFiles(dir: string): Map<string, DashboardAsset> {
  // zlib is loaded with the files: a node whose dashboard nobody opens needs neither.
  const { gzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')
  const files = new Map<string, DashboardAsset>()
  for (const path of walk(dir)) {
    const contentType = TYPES[extname(path)]
    if (!contentType) continue
    const body = new Uint8Array(readFileSync(path))
    files.set(relative(dir, path).split(sep).join('/'), { body, gzip: new Uint8Array(gzipSync(body, { level: 9 })), contentType })
  }
  return files
}

/** The DashboardAssets port, or undefined when the package has no dashboard folder. */
export function loadDashboard(dir: string | undefined = findDashboardDir()): DashboardAssets | undefined {
  if (!dir) return undefined
  // Read on the first request for the page (about 10 ms of reading and gzipping), not at every start.
  let files: Map<string, DashboardAsset> | undefined
  return { get: (path) => (files ??= loadDashboardFiles(dir)).get(path) }
}
