/**
 * `postbridge service install|uninstall`: run Postbridge as a systemd service. Install writes the unit, creates the
 * dedicated user and the data directory (owner-only), and reloads systemd; uninstall stops and removes the unit and
 * keeps the data. Each step is printed, so a user sees exactly what changed on their machine.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { renderUnit, UNIT_NAME } from './unit.js'

export class ServiceUsageError extends Error {}

export const SERVICE_USAGE = `usage: postbridge service install [--user NAME] [--data-dir DIR] [--config FILE] [--unit-dir DIR] [--no-create-user] [--dry-run]
       postbridge service uninstall [--unit-dir DIR]

install: writes ${UNIT_NAME} (default in /etc/systemd/system), creates the system user (default "postbridge")
         and the data directory (default /var/lib/postbridge, mode 0700), and reloads systemd.
         --dry-run prints the unit and changes nothing.
uninstall: stops and disables the service and removes the unit; the data directory and the user are kept.`

const DEFAULT_UNIT_DIR = '/etc/systemd/system'
/**
 * The CLI's own entry, so the unit runs this very installation: bin/postbridge.js two folders up from the bundle
 * (build/bundle/) or the sources (broker/service/), three from tsc's build/broker/service/.
 */
const CLI_ENTRY = ['../../bin/postbridge.js', '../../../bin/postbridge.js']
  .map((up) => fileURLToPath(new URL(up, import.meta.url)))
  .find((path, i, all) => existsSync(path) || i === all.length - 1) as string

type Out = (line: string) => void

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error ? r.error.message : '') }
}

/** systemd is the init system only when this directory exists (sd_booted(3)). */
const systemdRunning = () => existsSync('/run/systemd/system')

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  const uid = run('id', ['-u', name])
  const gid = run('id', ['-g', name])
  return uid.ok && gid.ok ? { uid: Number(uid.output), gid: Number(gid.output) } : undefined
}

function install(args: string[], configPath: string | undefined, out: Out): void {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string', default: 'postbridge' },
      'data-dir': { type: 'string', default: '/var/lib/postbridge' },
      'unit-dir': { type: 'string', default: DEFAULT_UNIT_DIR },
      'no-create-user': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  })
  const user = values.user
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new ServiceUsageError(`--user "${user}": not a valid user name`)
  const dataDir = resolve(values['data-dir'])
  const unitPath = join(resolve(values['unit-dir']), UNIT_NAME)
  const unit = renderUnit({ node: process.execPath, cli: CLI_ENTRY, user, dataDir, ...(configPath ? { config: resolve(configPath) } : {}) })
  if (values['dry-run']) {
    out(unit)
    return
  }
  if (!lookupUser(user)) {
    if (values['no-create-user']) throw new ServiceUsageError(`no user "${user}" (drop --no-create-user to create it)`)
    const made = run('useradd', ['--system', '--user-group', '--home-dir', dataDir, '--no-create-home', '--shell', '/usr/sbin/nologin', user])
    if (!made.ok) throw new ServiceUsageError(`cannot create user "${user}": ${made.output}`)
    out(`created system user ${user}`)
  }
  const ids = lookupUser(user)!
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  chmodSync(dataDir, 0o700)
  if (process.getuid?.() === 0) chownSync(dataDir, ids.uid, ids.gid)
  out(`data directory ${dataDir} (mode 0700, owner ${user})`)
  mkdirSync(dirname(unitPath), { recursive: true })
  writeFileSync(unitPath, unit, { mode: 0o644 })
  out(`wrote ${unitPath}`)
  if (systemdRunning()) {
    const reload = run('systemctl', ['daemon-reload'])
    out(reload.ok ? 'systemctl daemon-reload' : `systemctl daemon-reload failed: ${reload.output}`)
    out(`start it now and at every boot with: systemctl enable --now ${UNIT_NAME}`)
  } else {
    out('systemd is not running here: the unit is written but not loaded')
  }
}

function uninstall(args: string[], out: Out): void {
  const { values } = parseArgs({ args, options: { 'unit-dir': { type: 'string', default: DEFAULT_UNIT_DIR } } })
  const unitPath = join(resolve(values['unit-dir']), UNIT_NAME)
  if (systemdRunning()) {
    const stop = run('systemctl', ['disable', '--now', UNIT_NAME])
    out(stop.ok ? `systemctl disable --now ${UNIT_NAME}` : `systemctl disable --now ${UNIT_NAME}: ${stop.output}`)
  }
  if (!existsSync(unitPath)) throw new ServiceUsageError(`no ${unitPath} to remove`)
  rmSync(unitPath)
  out(`removed ${unitPath}`)
  if (systemdRunning()) run('systemctl', ['daemon-reload'])
  out('the data directory and the service user are kept; remove them yourself if you no longer need them')
}

export function serviceCommand(args: string[], configPath: string | undefined, out: Out): void {
  const [sub, ...rest] = args
  if (!sub || sub === '--help' || rest.includes('--help')) {
    out(SERVICE_USAGE)
    return
  }
  try {
    if (sub === 'install') install(rest, configPath, out)
    else if (sub === 'uninstall') uninstall(rest, out)
    else throw new ServiceUsageError(`unknown service command "${sub}"`)
  } catch (err) {
    // parseArgs' own errors (unknown option) are the user's mistake too.
    if (err instanceof TypeError && 'code' in err) throw new ServiceUsageError(err.message)
    throw err
  }
}
