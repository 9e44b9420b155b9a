/** The process logger: pino, JSON lines on stdout, with secrets blanked wherever they might appear. */
import { type DestinationStream, pino } from 'pino'
import type { Logger } from '../src/ports/logger.js'
import { redactSecrets, serializeError } from './log-redaction.js'

/**
 * Tokens and passwords must never reach a log line: see log-redaction.ts for the keys and depths covered. Not pino's
 * `redact` option, which costs about 8 KB of garbage and 2 to 4 µs per line even when the line holds no secret.
 * A child logger's bindings are not looked into: the Logger port offers no child.
 * `destination` defaults to stdout; the bench passes one that drops lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger & { flush?: () => void } {
  return pino(
    {
      level,
      formatters: { log: redactSecrets },
      serializers: { err: serializeError },
      base: { name: 'postbridge' },
    },
    destination,
  )
}
