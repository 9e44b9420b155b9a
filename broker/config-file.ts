/** Finds, reads and parses the YAML config file; every problem becomes one line naming the file and key. */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { ConfigError, parseConfig, type Config } from '../src/config.js'

export const DEFAULT_CONFIG_FILE = 'postbridge.yaml'

/** The YAML parser, loaded only when there is a file to read (on Node, `yaml` is CommonJS either way). */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return parse(text)
}

/** `--config` wins over POSTBRIDGE_CONFIG; without either, ./postbridge.yaml is used when it exists. */
export function resolveConfigPath(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): { path: string; required: boolean } | undefined {
  if (flag) return { path: flag, required: true }
  if (env.POSTBRIDGE_CONFIG) return { path: env.POSTBRIDGE_CONFIG, required: true }
  return existsSync(DEFAULT_CONFIG_FILE) ? { path: DEFAULT_CONFIG_FILE, required: false } : undefined
}

export function loadConfig(flag: string | undefined, env: Record<string, string | undefined>): Config {
  const where = resolveConfigPath(flag, env)
  let doc: unknown
  if (where) {
    let text: string
    try {
      text = readFileSync(where.path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new ConfigError([
        `cannot read config file ${where.path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)}`,
      ])
    }
    try {
      doc = parseYaml(text)
    } catch (err) {
      throw new ConfigError([`config file ${where.path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`])
    }
  }
  try {
    return parseConfig(doc, env)
  } catch (err) {
    if (err instanceof ConfigError && where) throw new ConfigError(err.problems.map((p) => `${where.path}: ${p}`))
    throw err
  }
}
