/**
 * `npx tsx bench/cpu-per-request.ts [total] [connections]`: what one REST publish costs the server, for each publish
 * QoS with no subscriber, a QoS 0 subscriber and a QoS 1 subscriber. It reports the server's CPU time (utime+stime
 * from /proc) per request, which counts the work a request costs rather than how the shared machine scheduled it.
 * With CALLGRIND=1 the server runs under `valgrind --tool=callgrind` and the count is instructions per request,
 * collected on the main thread only while the measured requests run: deterministic enough to compare two builds on
 * a busy machine. PAIRS=0:0,1:1 measures only those publish:subscriber QoS pairs; WARM sets the warm-up requests,
 * sent again until 3 s have passed (bench/warm.ts; under callgrind, give V8 enough of them to have optimised the
 * path, e.g. WARM=5000). CALLGRIND_KEEP=dir copies
 * the dumps there for `callgrind_annotate` (one per pair, in order; thread 01 is the main thread).
 */
import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { runChild } from './children.js'
import type { LoadResult } from './load.js'
import { ADMIN, cpuTimes, startPostbridge } from './servers.js'
import { warmFor } from './warm.js'

const TOTAL = Number(process.argv[2] ?? 20_000)
const CONNECTIONS = Number(process.argv[3] ?? 32)
const CALLGRIND = process.env.CALLGRIND === '1'
const WARM = Number(process.env.WARM ?? 3000)
/** Which publish:subscriber QoS pairs to measure, e.g. `0:0,1:1` (the bench's two); all six unless given. */
const PAIRS = (process.env.PAIRS ?? '0:none,1:none,0:0,1:0,0:1,1:1').split(',').map((pair) => {
  const [qos, sub] = pair.split(':')
  return { qos: Number(qos), sub: sub === 'none' ? undefined : (Number(sub) as 0 | 1) }
})

/** Read and write system calls so far (`syscr`, `syscw`: writev and sendmsg count as writes). */
function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8')
  return { reads: Number(/^syscr: (\d+)/m.exec(io)?.[1]), writes: Number(/^syscw: (\d+)/m.exec(io)?.[1]) }
}

const outDir = mkdtempSync(join(tmpdir(), 'pb-callgrind-'))
const pb = await startPostbridge(
  [],
  // Each thread counted apart: V8 compiles and marks on helper threads, whose share depends on timing, not on the request.
  CALLGRIND
    ? ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${join(outDir, 'callgrind.out.%p')}`]
    : [],
)
const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(pb.pid)], { stdio: 'ignore' })
/** Instructions the main thread ran since the last dump (each dump zeroes the counters). */
function dumpedInstructions(): number {
  control('-d')
  // callgrind.out.<pid>.<dump number>-<thread number>; thread 01 is the main thread.
  const dumps = readdirSync(outDir).filter((f) => /\.\d+\.\d+-01$/.test(f))
  const last = dumps.sort((a, b) => Number(/\.(\d+)-01$/.exec(a)?.[1]) - Number(/\.(\d+)-01$/.exec(b)?.[1])).pop()
  const text = readFileSync(join(outDir, last ?? ''), 'utf8')
  return Number(/^totals: (\d+)/m.exec(text)?.[1])
}

const load = (url: string, total: number) =>
  runChild<LoadResult>('./load-child.ts', {
    url,
    total,
    connections: CONNECTIONS,
    bodyBytes: 64,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' },
  })
try {
  for (const { qos, sub } of PAIRS) {
    const client = sub === undefined ? undefined : await mqtt.connectAsync(`mqtt://127.0.0.1:${pb.mqttPort}`, { reconnectPeriod: 0 })
    if (client) await client.subscribeAsync('bench/cpu/#', { qos: sub ?? 0 })
    await warmFor(() => load(`${pb.httpUrl}/v1/publish/bench/cpu/warm?qos=${qos}`, WARM))
    await new Promise((r) => setTimeout(r, 300))
    const before = cpuTimes(pb.pid)
    const callsBefore = syscalls(pb.pid)
    if (CALLGRIND) control('-i', 'on')
    const r = await load(`${pb.httpUrl}/v1/publish/bench/cpu/t?qos=${qos}`, TOTAL)
    await new Promise((r) => setTimeout(r, 300))
    const calls = syscalls(pb.pid)
    const perRequest = (n: number) => (n / TOTAL).toFixed(2)
    const io = `reads ${perRequest(calls.reads - callsBefore.reads)}, writes ${perRequest(calls.writes - callsBefore.writes)} per request`
    let cost: string
    if (CALLGRIND) {
      control('-i', 'off')
      cost = `${(dumpedInstructions() / TOTAL / 1000).toFixed(1).padStart(7)} k instructions/request`
    } else {
      // User and kernel time apart: a syscall's work (the loopback TCP path included) is kernel time.
      const after = cpuTimes(pb.pid)
      const user = (after.userUs - before.userUs) / TOTAL
      const system = (after.systemUs - before.systemUs) / TOTAL
      cost = `${(user + system).toFixed(1).padStart(6)} us CPU/request (user ${user.toFixed(1)}, system ${system.toFixed(1)})`
    }
    process.stdout.write(
      `publish qos ${qos}, subscriber ${String(sub ?? 'none').padEnd(4)}: ${cost}, ${io}  (${Math.round(r.perSecond)} req/s, errors ${r.errors})\n`,
    )
    await client?.endAsync()
  }
} finally {
  await pb.close()
  if (CALLGRIND && process.env.CALLGRIND_KEEP) cpSync(outDir, process.env.CALLGRIND_KEEP, { recursive: true })
  rmSync(outDir, { recursive: true, force: true })
}
process.exit(0)
