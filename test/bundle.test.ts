/** The CLI bundle (scripts/bundle.ts): what `postbridge start` loads, read from esbuild's own account of it. */
import { builtinModules } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { build, type Metafile } from 'esbuild'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BUILTINS_BY_REQUIRE, bundleOptions, PACKAGES_AS_BUILTINS } from '../scripts/bundle.js'

const BUILTINS = new Set(builtinModules)

let dir: string
let meta: Metafile
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postbridge-bundle-'))
  meta = (await build({ ...bundleOptions(dir), write: false, metafile: true, sourcemap: false })).metafile
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The files `import` reaches from an entry without a dynamic import(): what Node loads before the CLI runs. */
/** The output file (relative to the bundle's folder) that holds `input`. */
function outputOf(input: string): string {
  const found = Object.entries(meta.outputs).find(([, output]) => input in output.inputs)
  if (!found) throw new Error(`${input} is in no output`)
  return relative(dir, found[0])
}

function loadedStatically(entry: string): { inputs: string[]; external: string[] } {
  const outputs = new Map(Object.entries(meta.outputs).map(([path, output]) => [relative(dir, path), output]))
  const seen = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const imported of outputs.get(file)?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue
      if (imported.external) external.add(imported.path)
      else visit(relative(dir, imported.path))
    }
  }
  visit(entry)
  return { inputs: [...seen].flatMap((file) => Object.keys(outputs.get(file)?.inputs ?? {})), external: [...external] }
}

it('holds nothing at start that only other commands or features use: ws, mqtt.js, yaml, the Node HTTP adapter', () => {
  const { inputs } = loadedStatically('cli.js')
  expect(inputs).toContain('broker/home.ts') // the walk is real: start's own code is there
  for (const lazy of ['node_modules/ws/', 'node_modules/mqtt/', 'node_modules/yaml/', 'node_modules/@hono/node-server/', 'broker/service/']) {
    expect(inputs.filter((input) => input.includes(lazy))).toEqual([])
  }
})

it('holds at start no part of the HTTP API: the first request builds it (broker/http/lazy-request-listener.ts)', () => {
  const { inputs } = loadedStatically('cli.js')
  expect(inputs).toContain('broker/http/lazy-request-listener.ts') // the walk is real: what builds the API is there
  expect(inputs).toContain('node_modules/zod/v4/classic/schemas.js') // and so is zod, for the configuration
  expect(inputs.filter((input) => input === 'src/app.ts' || input.startsWith('src/routes/') || input === 'src/docs/render.ts')).toEqual([])
  for (const lazy of ['node_modules/hono/', 'node_modules/@hono/zod-openapi/', 'node_modules/@asteasolutions/zod-to-openapi/']) {
    expect(inputs.filter((input) => input.includes(lazy))).toEqual([])
  }
})

it('keeps the route groups a house rarely calls out of the app until their first request (src/app.ts)', () => {
  const { inputs } = loadedStatically(outputOf('src/app.ts'))
  expect(inputs).toContain('src/routes/publish.ts') // the groups a house calls all day are there
  for (const lazy of ['tokens', 'webhooks', 'sensors', 'notifiers', 'backup', 'actions', 'clients', 'mqtt-users', 'whoami']) {
    expect(inputs).not.toContain(`src/routes/${lazy}.ts`)
  }
  expect(inputs).not.toContain('src/docs/render.ts')
})

it("keeps only zod's English messages, the ones zod configures by default", () => {
  const all = Object.keys(meta.inputs)
  expect(all).toContain('node_modules/zod/v4/locales/en.js')
  expect(all.filter((input) => input.includes('zod/v4/locales/') && !input.endsWith('/en.js'))).toEqual([])
})

it('leaves the packages with native addons in node_modules, where they find their binaries', () => {
  const { inputs } = loadedStatically('cli.js')
  expect(inputs).toContain('required:better-sqlite3') // required from node_modules, not bundled
  expect(inputs.filter((input) => input.includes('node_modules/better-sqlite3/') || input.includes('node_modules/classic-level/'))).toEqual([])
})

it("imports only Node's own modules: a package imported as ESM would make Node parse CommonJS sources for their exports", () => {
  const { external } = loadedStatically('cli.js')
  expect(external.length).toBeGreaterThan(0)
  expect(external.filter((name) => !name.startsWith('node:') && !BUILTINS.has(name))).toEqual([])
})

it("takes tls and process by require: importing their ESM namespace runs every getter (all of tls's root certificates)", () => {
  const imported = Object.values(meta.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external && i.kind !== 'require-call').map((i) => i.path),
  )
  expect(imported).toContain('node:net') // the walk is real: Node's modules are imported from the bundle
  for (const costly of Object.keys(BUILTINS_BY_REQUIRE)) expect(imported).not.toContain(costly)
})

it("uses Node's own stream module where a package asks for its copy, readable-stream", () => {
  const all = Object.keys(meta.inputs)
  expect(all.some((input) => input.includes('node_modules/bl/'))).toBe(true) // the walk is real: bl asks for it
  for (const copy of Object.keys(PACKAGES_AS_BUILTINS)) expect(all.filter((input) => input.includes(`node_modules/${copy}/`))).toEqual([])
})
