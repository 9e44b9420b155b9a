/**
 * The certificate files behind every TLS listener (MQTT on 8883, HTTPS and secure WebSocket on the HTTP port),
 * reloaded when they change: a renewal (certbot, acme.sh) replaces the files and new connections get the new
 * certificate, while connections made with the old one carry on.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import type { SecureContextOptions } from 'node:tls'
import type { Logger } from '../../src/ports/logger.js'

export interface TlsFiles {
  cert: string
  key: string
  /** CA bundle that client certificates must chain to. */
  ca?: string
}

/** What a TLS server needs: the certificate and, when client certificates are asked for, the CA and the rule. */
export interface TlsServerSettings extends SecureContextOptions {
  requestCert: boolean
  rejectUnauthorized: boolean
}

export class TlsConfigError extends Error {}

/** Reads the files; a missing or unreadable one is named in the error. */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new TlsConfigError(
        `tls.${what}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err)})`,
      )
    }
  }
  return { cert: read('cert', files.cert), key: read('key', files.key), ...(files.ca ? { ca: read('ca', files.ca) } : {}) }
}

export interface CertificateWatch {
  /** The context options as last read successfully. */
  current(): SecureContextOptions
  close(): void
}

/**
 * Polls the files (fs.watchFile: renames and symlink swaps, as certbot does them, are seen where fs.watch misses
 * them) and calls onChange with the new options once a change reads as a valid pair. A half-written renewal is
 * logged and the old certificate stays.
 */
export function watchCertificates(
  files: TlsFiles,
  validate: (options: SecureContextOptions) => void,
  onChange: (options: SecureContextOptions) => void,
  log: Logger,
  intervalMs = 5000,
): CertificateWatch {
  let current = readTlsFiles(files)
  validate(current)
  const paths = [files.cert, files.key, ...(files.ca ? [files.ca] : [])]
  let timer: ReturnType<typeof setTimeout> | undefined
  const reload = () => {
    timer = undefined
    try {
      const next = readTlsFiles(files)
      validate(next)
      current = next
      onChange(next)
      log.info({ cert: files.cert }, 'tls certificate reloaded')
    } catch (err) {
      log.warn({ cert: files.cert, err: err instanceof Error ? err.message : String(err) }, 'tls certificate change not loaded; keeping the old one')
    }
  }
  // Cert and key change one after the other: wait for both before loading.
  const changed = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(reload, Math.min(intervalMs, 500))
  }
  for (const p of paths) watchFile(p, { interval: intervalMs, persistent: false }, changed)
  return {
    current: () => current,
    close() {
      if (timer) clearTimeout(timer)
      for (const p of paths) unwatchFile(p, changed)
    },
  }
}
