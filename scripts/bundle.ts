/**
 * `npm run build`, second step: the CLI as one ES module bundle in build/bundle/, which bin/postbridge.js loads.
 * Node spends most of `postbridge start` finding, reading and compiling a few hundred module files; one bundle
 * resolves nothing at run time, and what start never uses (zod's locales among them) is not there to load.
 * The lazy import()s stay lazy: each becomes its own chunk, read only when its command or feature runs.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build, type Plugin } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BUNDLE_DIR = join(ROOT, 'build/bundle')

/**
 * Packages that find their native addon on disk beside their own files (bindings, node-gyp-build): they stay in
 * node_modules and load through Node's resolver. ws's optional addons are tried by require() inside try/catch.
 */
const EXTERNAL = ['better-sqlite3', 'classic-level', 'bufferutil', 'utf-8-validate']

/**
 * zod's entry re-exports all of its ~60 error-message locales, and `z` is passed around whole (zod-openapi
 * extends it), so no bundler can drop them. Postbridge never calls z.config(z.locales.xx()); English, the
 * default zod configures itself with, is the one kept.
 */
const englishOnlyZod: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(join('node_modules', 'zod', 'v4')) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(join(ROOT, 'node_modules/zod/v4/locales/en.js'))}`,
      resolveDir: ROOT,
    }))
  },
}

/**
 * better-sqlite3 by require(), as Node loads a CommonJS package for a CommonJS caller: an ESM import of it makes
 * Node load cjs-module-lexer and parse the package's source for named exports (~3 ms, ~1.7 MB), which a
 * default import does not need.
 */
const requireBetterSqlite: Plugin = {
  name: 'require-better-sqlite3',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, (args) =>
      args.namespace === 'required' ? { path: args.path, external: true } : { path: args.path, namespace: 'required' },
    )
    b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
    }))
  },
}

/**
 * Node's modules whose ESM namespace costs memory at import: Node builds it by reading every export, getters
 * included, so `import ... from 'node:tls'` parses all of Node's root certificates (tls.rootCertificates, ~0.8 MB
 * of RSS) and `import ... from 'node:process'` runs process's lazy getters (~1 MB). Taken by require() (or, for
 * process, the global), an export is read only when the code reads it.
 */
export const BUILTINS_BY_REQUIRE: Record<string, string> = {
  tls: "module.exports = require('node:tls')",
  'node:tls': "module.exports = require('node:tls')",
  process: 'module.exports = process',
  'node:process': 'module.exports = process',
}

const requireCostlyBuiltins: Plugin = {
  name: 'require-costly-builtins',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(BUILTINS_BY_REQUIRE).join('|')})$`)
    b.onResolve({ filter }, (args) =>
      args.namespace === 'builtin-by-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin-by-require' },
    )
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({ contents: BUILTINS_BY_REQUIRE[args.path], loader: 'js' }))
  },
}

/**
 * Packages that are copies of a module Node has built in. readable-stream is Node's stream module republished for
 * browsers and old Nodes; bl (mqtt-packet's parser buffer, one per connection) takes only its Duplex from it. Node
 * 20's own is the same code and already loaded, while the copy was ~200 KB of source to compile and keep (idle RSS
 * -0.7 MB).
 */
export const PACKAGES_AS_BUILTINS: Record<string, string> = {
  'readable-stream': "module.exports = require('node:stream')",
}

const builtinsForCopies: Plugin = {
  name: 'builtins-for-copies',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(PACKAGES_AS_BUILTINS).join('|')})$`)
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'builtin-for-copy' }))
    b.onLoad({ filter: /.*/, namespace: 'builtin-for-copy' }, (args) => ({ contents: PACKAGES_AS_BUILTINS[args.path], loader: 'js' }))
  },
}

/** esbuild's options for the CLI bundle written to `outdir`. */
export function bundleOptions(outdir: string): BuildOptions {
  return {
    entryPoints: { cli: join(ROOT, 'broker/cli.ts'), 'v8-hold': join(ROOT, 'broker/v8-hold.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [englishOnlyZod, requireBetterSqlite, requireCostlyBuiltins, builtinsForCopies],
    // The CommonJS packages inside (pino, aedes' dependencies) call require() for Node's own modules.
    banner: { js: "import { createRequire as __pbCreateRequire } from 'node:module'; const require = __pbCreateRequire(import.meta.url);" },
    // Whitespace and syntax only: ~1 MB less source for V8 to scan and keep in the heap (idle RSS -2 MB), while
    // function and class names stay as written, in stack traces and wherever a library reads constructor.name.
    minifyWhitespace: true,
    minifySyntax: true,
    // Written beside the bundle, read only under `node --enable-source-maps` (which costs start-up time and
    // ~3.5 MB of idle RSS, so it is not on by default).
    sourcemap: true,
    logLevel: 'warning',
  }
}

export async function bundleCli(): Promise<void> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true })
  await build(bundleOptions(BUNDLE_DIR))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bundleCli()
