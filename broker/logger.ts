/** The process logger: pino, JSON lines on stdout, with secrets redacted wherever they might appear. */
import { pino } from 'pino'
import type { Logger } from '../src/ports/logger.js'

/** Paths pino blanks out: tokens and passwords must never reach a log line. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
]

export function createLogger(level: string): Logger & { flush?: () => void } {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { name: 'postbridge' } })
}
