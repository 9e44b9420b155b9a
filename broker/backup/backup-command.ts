/**
 * `postbridge backup FILE` and `postbridge restore FILE`. A running node is asked over its API (GET /v1/backup), so
 * the snapshot is consistent while it keeps working; a stopped node's data directory is read directly.
 */
import { existsSync } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Level } from 'level'
import type { Config } from '../../src/config.js'
import { nodeUrl, withToken } from '../cli/api-client.js'
import { openDatabase } from '../store/db.js'
import { BackupError, restoreBackupFile, writeBackupFile } from './backup-file.js'

type Out = (line: string) => void

async function download(url: string, token: string, file: string, omitCaller: boolean): Promise<void> {
  const res = await fetch(`${url}/v1/backup${omitCaller ? '?omitCaller=true' : ''}`, { headers: { authorization: `Bearer ${token}` } })
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as { title?: string; detail?: string }
    throw new BackupError(`${url} answered ${res.status}: ${problem.detail ?? problem.title ?? res.statusText}`)
  }
  await writeFile(file, new Uint8Array(await res.arrayBuffer()), { mode: 0o600 })
}

/** The node is not running: read its files directly (LevelDB refuses if another process holds it). */
async function offline(config: Config, file: string): Promise<void> {
  const db = openDatabase(config.dataDir)
  const brokerDir = join(config.dataDir, 'broker')
  const level = existsSync(brokerDir) ? new Level<Uint8Array, Uint8Array>(brokerDir, { keyEncoding: 'view', valueEncoding: 'view' }) : undefined
  try {
    await level?.open()
    await writeBackupFile(db, level?.iterator(), file)
  } catch (err) {
    if ((err as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN')
      throw new BackupError(`the broker store in ${brokerDir} is in use by another process; is the node running on another port? use --url`)
    throw err
  } finally {
    await level?.close()
    db.close()
  }
}

export async function backupCommand(config: Config, args: string[], out: Out): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { url: { type: 'string' }, token: { type: 'string' } } })
  const target = positionals[0]
  if (!target || positionals.length > 1) throw new BackupError('backup needs one FILE')
  const url = values.url ?? nodeUrl(config)
  const partial = `${target}.partial`
  try {
    const token = values.token ?? config.adminToken
    try {
      await withToken(config, { url, ...(token ? { token } : {}) }, (t, oneOff) => download(url, t, partial, oneOff))
      out(`backup of the running node at ${url} written to ${target}`)
    } catch (err) {
      // Not running (nothing listens): take the backup from the files.
      const code = (err as { cause?: { code?: string } }).cause?.code
      if (code !== 'ECONNREFUSED' || values.url) throw err
      await offline(config, partial)
      out(`backup of ${config.dataDir} (node not running) written to ${target}`)
    }
    await rename(partial, target)
  } finally {
    await rm(partial, { force: true })
  }
}

export async function restoreCommand(config: Config, args: string[], out: Out): Promise<void> {
  if (args.length !== 1) throw new BackupError('restore needs one FILE')
  const { brokerEntries } = await restoreBackupFile(args[0]!, config.dataDir)
  out(`restored ${args[0]} into ${config.dataDir} (${brokerEntries} broker store entries); start the node with this data directory`)
}
