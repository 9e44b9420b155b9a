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
export function createLogger(level: string, destination: DestinationStream = stdoutLines()): Logger & { flush?: () => void } {
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

/**
 * Lines written to stdout as they are logged, synchronously. pino's default writes in the background and, at exit,
 * flushes what is pending with sonic-boom's flushSync, which retries a failed write every 100 ms for ever: when
 * whatever read the node's stdout had gone (a closed pipe, `postbridge start | head`), the exit after SIGTERM never
 * came. Written synchronously there is nothing pending at exit; a write to a closed pipe fails once, and pino then
 * stops writing (its EPIPE handler) while the node goes on. A background buffer would also grow without bound while
 * a reader stalls; a synchronous write waits for it instead.
 */
function stdoutLines(): DestinationStream {
  return pino.destination({ dest: 1, sync: true })
}
