/** The home node's BackupSource: a backup file written beside the data, streamed out, then deleted. */
import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { BackupSource } from '../../src/ports/backup.js'
import type { Db } from '../store/db.js'
import { BACKUP_CONTENT_TYPE, writeBackupFile } from './backup-file.js'

export function createHomeBackup(db: Db, dataDir: string, brokerEntries: (() => AsyncIterable<[Uint8Array, Uint8Array]>) | undefined): BackupSource {
  return {
    contentType: BACKUP_CONTENT_TYPE,
    async create(opts = {}) {
      // In the data directory: the only place the service may write, and as private as the data itself.
      const path = join(dataDir, `.backup-${crypto.randomUUID()}.tmp`)
      await writeBackupFile(db, brokerEntries?.(), path, opts)
      const file = createReadStream(path)
      const cleanup = () => void rm(path, { force: true })
      file.once('close', cleanup)
      return Readable.toWeb(file) as ReadableStream<Uint8Array>
    },
  }
}
