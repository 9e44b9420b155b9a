/** `postbridge service install|uninstall` as a user runs it, and the unit it writes checked by systemd itself. */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLI, runCli } from './fixtures/process.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'postbridge-service-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const me = userInfo().username

async function install(extra: string[] = []) {
  return runCli(
    ['service', 'install', '--unit-dir', join(dir, 'units'), '--data-dir', join(dir, 'data'), '--user', me, '--no-create-user', ...extra],
    {},
  )
}

describe('postbridge service', () => {
  it('writes a sandboxed unit that systemd-analyze verify accepts', async () => {
    const r = await install()
    expect(r.code, r.stderr).toBe(0)
    const unitPath = join(dir, 'units', 'postbridge.service')
    expect(r.stdout).toContain(`wrote ${unitPath}`)
    const unit = readFileSync(unitPath, 'utf8')
    expect(unit).toContain(`User=${me}`)
    expect(unit).toContain('Restart=on-failure')
    expect(unit).toContain(`ReadWritePaths=${join(dir, 'data')}`)
    expect(unit).toMatch(/^ProtectSystem=strict$/m)
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m)
    expect(unit).toMatch(/^ExecStart=\S+ \S+bin\/postbridge\.js start$/m)
    // This very installation's entry, found from wherever the CLI's code runs (the bundle, here).
    expect(unit).toContain(` ${CLI} start\n`)
    const verify = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' })
    expect(verify.status, verify.stderr).toBe(0)
    // systemd names problems with the unit by its file name; other units on the machine are not ours to judge.
    expect(verify.stderr).not.toContain('postbridge.service')
  })

  it('creates the data directory readable by its owner only', async () => {
    expect((await install()).code).toBe(0)
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
  })

  it('passes the config file to the service as an absolute path', async () => {
    const r = await runCli(['service', 'install', '--dry-run', '--config', 'conf/postbridge.yaml', '--user', me], {})
    expect(r.code, r.stderr).toBe(0)
    // Relative to where the command ran, made absolute: the service starts elsewhere.
    expect(r.stdout).toMatch(/^ExecStart=.* start --config \/\S*\/conf\/postbridge\.yaml$/m)
  })

  it('changes nothing on --dry-run', async () => {
    const r = await install(['--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('[Service]')
    expect(existsSync(join(dir, 'units'))).toBe(false)
    expect(existsSync(join(dir, 'data'))).toBe(false)
  })

  it('uninstall removes the unit and keeps the data', async () => {
    expect((await install()).code).toBe(0)
    const r = await runCli(['service', 'uninstall', '--unit-dir', join(dir, 'units')], {})
    expect(r.code, r.stderr).toBe(0)
    expect(existsSync(join(dir, 'units', 'postbridge.service'))).toBe(false)
    expect(existsSync(join(dir, 'data'))).toBe(true)
    expect(r.stdout).toContain('kept')
  })

  it('refuses a bad user name or a missing user in one line', async () => {
    const bad = await runCli(['service', 'install', '--user', 'Bad User', '--unit-dir', join(dir, 'units')], {})
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim()).toBe('postbridge: --user "Bad User": not a valid user name')
    const missing = await runCli(
      ['service', 'install', '--user', 'pb-no-such-user', '--no-create-user', '--unit-dir', join(dir, 'units'), '--data-dir', join(dir, 'data')],
      {},
    )
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe('postbridge: no user "pb-no-such-user" (drop --no-create-user to create it)')
  })

  it('prints its usage with --help', async () => {
    const r = await runCli(['service', '--help'], {})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('usage: postbridge service install')
  })
})
