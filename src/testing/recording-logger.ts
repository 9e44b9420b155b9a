/** A Logger that keeps what it was told, so tests can check what was (and was not) logged. */
import type { Logger } from '../ports/logger.js'

export class RecordingLogger implements Logger {
  readonly lines: { level: string; obj: object; msg?: string }[] = []
  debug(obj: object, msg?: string) {
    this.lines.push({ level: 'debug', obj, msg })
  }
  info(obj: object, msg?: string) {
    this.lines.push({ level: 'info', obj, msg })
  }
  warn(obj: object, msg?: string) {
    this.lines.push({ level: 'warn', obj, msg })
  }
  error(obj: object, msg?: string) {
    this.lines.push({ level: 'error', obj, msg })
  }
  /** Everything logged, as one string, to search for leaked secrets. */
  text(): string {
    return JSON.stringify(this.lines)
  }
}
