/**
 * What `npm pack` ships: the CLI as users run it (bin/ on build/bundle/, which is git-ignored and built by `prepare`)
 * and the files it reads at run time, without the sources and tests.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { type RunningPostbridge, startCli } from './fixtures/process.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ADMIN = 'package-test-admin-token-0123456789abcdef'

const cleanups: (() => void)[] = []
const running: RunningPostbridge[] = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill('SIGTERM')
    await p.exited
  }
  for (const fn of cleanups.splice(0).reverse()) fn()
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'postbridge-pack-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** npm pack's JSON report: the tarball's name and the paths it holds. Scripts are skipped: the e2e setup built the bundle. */
function pack(args: string[]): { filename: string; paths: string[] } {
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', ...args], { cwd: ROOT, encoding: 'utf8' })
  const [report] = JSON.parse(out) as { filename: string; files: { path: string }[] }[]
  if (!report) throw new Error(`npm pack reported nothing: ${out}`)
  return { filename: report.filename, paths: report.files.map((f) => f.path) }
}

/** The files under a folder of the checkout, as '/'-separated paths from the root. */
function filesUnder(dir: string): string[] {
  const walk = (path: string): string[] => (statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => walk(join(path, name))) : [path])
  return walk(join(ROOT, dir)).map((path) => relative(ROOT, path).split(sep).join('/'))
}

it('packs the CLI, every bundle module, the dashboard and the docs, and no source or test', () => {
  const { paths } = pack(['--dry-run'])
  const bundle = filesUnder('build/bundle').filter((path) => path.endsWith('.js'))
  expect(bundle).toContain('build/bundle/cli.js')
  for (const path of ['bin/postbridge.js', 'package.json', 'README.md', 'LICENSE', 'openapi.yaml', ...bundle, ...filesUnder('dashboard')]) {
    expect(paths).toContain(path)
  }
  expect(paths.filter((path) => /\.test\.|(^|\/)test\/|\.ts$|\.map$/.test(path))).toEqual([])
  expect(paths.filter((path) => /^(src|broker|worker|scripts|bench|build\/(src|broker))\//.test(path))).toEqual([])
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  expect(`${scripts.prepack ?? ''} ${scripts.prepare ?? ''}`).toMatch(/\bbuild\b/)
})

it('starts from the packed tarball alone and serves the API and the dashboard', async () => {
  const out = tempDir()
  const { filename } = pack(['--pack-destination', out])
  execFileSync('tar', ['-xzf', join(out, filename), '-C', out])
  const installed = join(out, 'package')
  // The dependencies, as npm would install them beside the package.
  symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir')
  const p = await startCli({ POSTBRIDGE_DATA_DIR: tempDir(), POSTBRIDGE_ADMIN_TOKEN: ADMIN }, [], join(installed, 'bin/postbridge.js'))
  running.push(p)
  const health = await fetch(`${p.httpUrl}/v1/health`, { headers: { authorization: `Bearer ${ADMIN}` } })
  expect(health.status).toBe(200)
  const page = await fetch(`${p.httpUrl}/`)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('<html')
  const script = await fetch(`${p.httpUrl}/ui/app.js`)
  expect(script.status).toBe(200)
}, 60_000)
