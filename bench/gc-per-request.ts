/**
 * `npx tsx bench/gc-per-request.ts [total] [qos] [subscriber qos|none]`: what V8's garbage collector does for REST
 * publishes. The server runs under `--trace-gc-nvp`; over the measured requests (after a warm-up) it reports
 * scavenges and mark-compacts per 10,000 requests, and per request the bytes allocated in the young generation,
 * the bytes that survived a scavenge and the bytes promoted to the old generation, and the scavenge pause. Bytes
 * that survive are what makes a scavenge dear: what dies young costs next to nothing. WARM sets the warm-up requests,
 * sent again until 3 s have passed (bench/warm.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { runChild } from './children.js'
import type { LoadResult } from './load.js'
import { ADMIN, startPostbridge } from './servers.js'
import { warmFor } from './warm.js'

const TOTAL = Number(process.argv[2] ?? 10_000)
const QOS = Number(process.argv[3] ?? 0)
const SUB = (process.argv[4] ?? '0') === 'none' ? undefined : (Number(process.argv[4] ?? 0) as 0 | 1)
const WARM = Number(process.env.WARM ?? 5000)

const dir = mkdtempSync(join(tmpdir(), 'pb-gc-'))
const log = join(dir, 'gc.log')
// The trace goes to the server's stdout, which the launcher stops reading once the server is ready: a copy of it
// is kept in a file (bash, so that node keeps the process id the launcher watches).
const pb = await startPostbridge(['--trace-gc-nvp'], ['bash', '-c', 'exec "$@" > >(tee "$0")', log])
const load = (url: string, total: number) =>
  runChild<LoadResult>('./load-child.ts', {
    url,
    total,
    connections: 32,
    bodyBytes: 64,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' },
  })
const settle = () => new Promise((r) => setTimeout(r, 300))
try {
  const client = SUB === undefined ? undefined : await mqtt.connectAsync(`mqtt://127.0.0.1:${pb.mqttPort}`, { reconnectPeriod: 0 })
  if (client) await client.subscribeAsync('bench/gc/#', { qos: SUB ?? 0 })
  await warmFor(() => load(`${pb.httpUrl}/v1/publish/bench/gc/warm?qos=${QOS}`, WARM))
  await settle()
  const from = readFileSync(log, 'utf8').length
  const r = await load(`${pb.httpUrl}/v1/publish/bench/gc/t?qos=${QOS}`, TOTAL)
  await settle()
  await client?.endAsync()
  const sum = { scavenges: 0, markCompacts: 0, allocated: 0, survived: 0, promoted: 0, scavengeMs: 0 }
  for (const line of readFileSync(log, 'utf8').slice(from).split('\n')) {
    const field = (name: string) => Number(new RegExp(`\\b${name}=([0-9.]+)`).exec(line)?.[1] ?? 0)
    if (/ gc=s /.test(line)) {
      sum.scavenges++
      sum.scavengeMs += field('pause')
      sum.survived += field('new_space_survived')
    } else if (/ gc=mc /.test(line)) sum.markCompacts++
    sum.allocated += field('allocated')
    sum.promoted += field('promoted')
  }
  const per10k = (n: number) => ((n * 10_000) / TOTAL).toFixed(1)
  const perRequest = (n: number) => Math.round(n / TOTAL)
  process.stdout.write(
    `publish qos ${QOS}, subscriber ${String(SUB ?? 'none')}: per 10k requests ${per10k(sum.scavenges)} scavenges, ` +
      `${per10k(sum.markCompacts)} mark-compacts; per request ${perRequest(sum.allocated)} B allocated, ` +
      `${perRequest(sum.survived)} B survived a scavenge, ${perRequest(sum.promoted)} B promoted, ` +
      `${((sum.scavengeMs * 1000) / TOTAL).toFixed(1)} us scavenge pause  (${Math.round(r.perSecond)} req/s, errors ${r.errors})\n`,
  )
} finally {
  await pb.close()
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
