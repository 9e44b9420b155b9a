/**
 * `node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 --import tsx bench/log-line-cost.ts [lines]`:
 * what one log line costs the process logger, in bytes allocated and CPU time, written to a destination that drops
 * it. It compares the process logger (`createLogger`) with pino's own `redact` option over the same paths and with
 * no redaction at all, for a device's "connected" line (no secret), an error line, and a line that carries a secret.
 * Bytes: heap growth over batches of 1,000 lines with the young generation large enough that no collection runs
 * inside a batch (a batch during which one ran is dropped), median over the batches.
 */
import { pino } from 'pino'
import { CENSOR, REDACT_PATHS } from '../broker/log-redaction.js'
import { createLogger } from '../broker/logger.js'
import type { Logger } from '../src/ports/logger.js'

const LINES = Number(process.argv[2] ?? 100_000)
const BATCH = 1000
const exposedGc = (globalThis as { gc?: () => void }).gc
if (!exposedGc) throw new Error('run with node --expose-gc (see the comment at the top)')
const gc: () => void = exposedGc

const drop = { write: (_line: string) => {} }
const loggers: Record<string, () => Logger> = {
  'no redaction': () => pino({ level: 'info', base: { name: 'postbridge' } }, drop),
  'pino redact': () => pino({ level: 'info', redact: { paths: REDACT_PATHS, censor: CENSOR }, base: { name: 'postbridge' } }, drop),
  createLogger: () => createLogger('info', drop),
}
const lines: Record<string, (log: Logger, i: number) => void> = {
  connected: (log, i) => log.info({ clientId: `device-${i}`, username: 'relay1', remoteAddress: '127.0.0.1', version: 4 }, 'mqtt client connected'),
  error: (log, i) => log.error({ sensorId: `s${i}`, err: new Error('boom') }, 'sensor update failed'),
  secret: (log, i) => log.info({ tokenId: `t${i}`, body: { name: 'n', token: 'tok-secret' } }, 'token created'),
}

function measure(log: Logger, line: (log: Logger, i: number) => void): { bytes: number; cpuNs: number } {
  for (let i = 0; i < 20_000; i++) line(log, i) // warm up: optimised code, settled shapes
  const perBatch: number[] = []
  for (let done = 0; done < LINES; done += BATCH) {
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < BATCH; i++) line(log, done + i)
    const grown = process.memoryUsage().heapUsed - before
    if (grown > 0) perBatch.push(grown / BATCH)
  }
  perBatch.sort((a, b) => a - b)
  const cpu = process.cpuUsage()
  for (let i = 0; i < LINES; i++) line(log, i)
  const used = process.cpuUsage(cpu)
  return { bytes: Math.round(perBatch[perBatch.length >> 1] ?? Number.NaN), cpuNs: Math.round(((used.user + used.system) * 1000) / LINES) }
}

const results: Record<string, Record<string, string>> = {}
for (const [name, make] of Object.entries(loggers)) {
  results[name] = {}
  for (const [lineName, line] of Object.entries(lines)) {
    const { bytes, cpuNs } = measure(make(), line)
    results[name][lineName] = `${bytes} B, ${cpuNs} ns`
  }
}
console.table(results)
