/** The edge's Logger: one JSON line per event on the console, which Workers Logs and `wrangler tail` collect. */
import type { Logger } from '../src/ports/logger.js'

function line(level: string, obj: object, msg?: string): string {
  return JSON.stringify({ level, ...(msg ? { msg } : {}), ...obj })
}

export const consoleLogger: Logger = {
  debug: (obj, msg) => console.debug(line('debug', obj, msg)),
  info: (obj, msg) => console.info(line('info', obj, msg)),
  warn: (obj, msg) => console.warn(line('warn', obj, msg)),
  error: (obj, msg) => console.error(line('error', obj, msg)),
}
