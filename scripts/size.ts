/**
 * The Worker bundle's size, as `wrangler deploy` would upload it: built offline with `wrangler deploy --dry-run
 * --outdir <tmp>`, then measured raw and gzipped. `npm run size`; docs/edge.md's figure comes from here.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const outdir = mkdtempSync(join(tmpdir(), 'postbridge-size-'))
try {
  const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
    cwd: ROOT,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    encoding: 'utf8',
  })
  if (run.status !== 0) {
    process.stderr.write(`${run.stdout}${run.stderr}`)
    process.exit(run.status ?? 1)
  }
  // What wrangler itself reports, e.g. "Total Upload: 823.73 KiB / gzip: 209.85 KiB".
  const reported = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(`${run.stdout}${run.stderr}`)
  const scripts = readdirSync(outdir).filter((f) => f.endsWith('.js'))
  let raw = 0
  let gzip = 0
  for (const f of scripts) {
    const bytes = readFileSync(join(outdir, f))
    raw += statSync(join(outdir, f)).size
    gzip += gzipSync(bytes, { level: 9 }).length
  }
  const kib = (n: number) => `${(n / 1024).toFixed(2)} KiB`
  console.log(`worker bundle (${scripts.join(', ')}): ${kib(raw)} raw (${raw} bytes), ${kib(gzip)} gzip -9 (${gzip} bytes)`)
  if (reported) console.log(`wrangler reports: ${reported[1]} / gzip: ${reported[2]}`)
} finally {
  rmSync(outdir, { recursive: true, force: true })
}
