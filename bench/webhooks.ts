/**
 * `npm run bench webhooks`: deliveries per second to a local receiver, and MQTT publish -> webhook arrival latency,
 * with 1 and with 100 webhooks on one topic (webhooks.maxPerToken raised to 100 for that). The home node runs here;
 * receiver and publisher run in a child process.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig } from '../src/config.js'
import { startHome } from '../broker/home.js'
import { createLogger } from '../broker/logger.js'
import { runChild } from './children.js'

const ADMIN = 'bench-admin-token-0123456789abcdef'

interface Result {
  /** Deliveries per second over the whole run; for bursts, latency is mostly time spent queued behind the burst. */
  expected: number
  received: number
  outOfOrder: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

function row(name: string, r: Result): void {
  process.stdout.write(
    `${name.padEnd(52)} ${fmt(r.perSecond).padStart(7)} deliveries/s   p50 ${fmt(r.p50Ms, 1).padStart(7)} ms   p99 ${fmt(r.p99Ms, 1).padStart(7)} ms` +
      `   received ${r.received}/${r.expected}, out of order ${r.outOfOrder}\n`,
  )
}

/** Each case: hooks, messages, and the publish rate (0: as fast as the broker acknowledges). */
const CASES = [
  { name: '1 webhook, burst', hooks: 1, total: Number(process.env.BENCH_WEBHOOK_TOTAL ?? 20_000), rate: 0 },
  { name: '1 webhook, paced 1,000 msg/s', hooks: 1, total: 10_000, rate: 1000 },
  { name: '100 webhooks, burst', hooks: 100, total: 500, rate: 0 },
  { name: '100 webhooks, paced 10 msg/s (1,000 deliveries/s)', hooks: 100, total: 200, rate: 10 },
]

export async function benchWebhooks(): Promise<void> {
  process.stdout.write('\n# webhooks: MQTT publish (QoS 1) -> signed POST to a local node:http receiver (another process); outbox in SQLite\n')
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-'))
  const config = parseConfig(
    { host: '127.0.0.1', dataDir, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 }, webhooks: { allowPrivate: true, maxPerToken: 100 } },
    { POSTBRIDGE_ADMIN_TOKEN: ADMIN },
  )
  const home = await startHome(config, createLogger('warn'))
  const base = { httpUrl: home.httpUrl, mqttPort: home.mqttPort, token: ADMIN }
  try {
    await runChild<Result>('./webhooks-child.ts', { ...base, hooks: 1, total: 3000, rate: 0 }) // warm-up: JIT, pools
    for (const c of CASES) row(c.name, await runChild<Result>('./webhooks-child.ts', { ...base, hooks: c.hooks, total: c.total, rate: c.rate }))
  } finally {
    await home.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// Run directly: `npx tsx bench/webhooks.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  await benchWebhooks()
  process.exit(0)
}
