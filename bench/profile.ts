/**
 * `npx tsx bench/profile.ts start|mqtt-qos1|mqtt-qos0|rest-qos0|rest-qos1 [total]`: runs one load (or none) against
 * `postbridge start` under `node --cpu-prof`, and prints the functions with the most self time.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { SourceMap } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { runChild } from './children.js'
import { ADMIN, startPostbridge } from './servers.js'

const [what = 'mqtt-qos1', totalArg] = process.argv.slice(2)
const dir = mkdtempSync(join(tmpdir(), 'pb-prof-'))
const pb = await startPostbridge([
  ...(process.env.PROF_INTERVAL ? [`--cpu-prof-interval=${process.env.PROF_INTERVAL}`] : []),
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
])
const qos = what.endsWith('1') ? 1 : 0
let result: unknown
if (what === 'start') {
  result = { readyMs: Math.round(pb.readyMs), rssMb: Math.round(pb.rssMb()) }
} else if (what.startsWith('mqtt')) {
  const total = Number(totalArg ?? 20_000)
  result = await runChild('./mqtt-child.ts', { port: pb.mqttPort, total, qos, window: 100, pairs: 4 })
} else {
  const total = Number(totalArg ?? 5000)
  // As the bench: every message is delivered to a subscriber at the publish QoS, whose cost is part of the profile.
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${pb.mqttPort}`, { reconnectPeriod: 0 })
  await sub.subscribeAsync('bench/prof', { qos })
  let delivered = 0
  sub.on('message', () => delivered++)
  const load = await runChild<object>('./load-child.ts', {
    url: `${pb.httpUrl}/v1/publish/bench/prof?qos=${qos}`,
    total,
    connections: 32,
    bodyBytes: 64,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' },
  })
  for (let waited = 0; delivered < total && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20))
  await sub.endAsync()
  result = { ...load, delivered }
}
// close() would remove the cwd; the profile is written to `dir` on exit.
await pb.close()

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  hitCount: number
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples?: number[]; startTime: number; endTime: number }
const profileStartUs = profile.startTime
const profileEndUs = profile.endTime

// The CLI runs from an esbuild bundle of a few long lines: each frame is put back at its source file and line
// through the bundle's source maps, so the summary names `aedes/lib/client.js:120`, not `build/bundle/cli.js:47`.
const maps = new Map<string, SourceMap | undefined>()
function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')))
    } catch {}
    maps.set(url, map)
  }
  return maps.get(url)
}
for (const n of profile.nodes) {
  const frame = n.callFrame
  if (!frame.url.includes('/build/bundle/')) continue
  const entry = sourceMapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber) as
    | { originalSource?: string; originalLine?: number; name?: string }
    | undefined
  if (!entry?.originalSource) continue
  frame.url = entry.originalSource.replace(/^(\.\.\/)+/, '')
  frame.lineNumber = entry.originalLine ?? frame.lineNumber
}
const self = new Map<string, number>()
let all = 0
for (const n of profile.nodes) {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/build\//, 'build/')
  const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + n.hitCount)
  all += n.hitCount
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 25))
// Per request (REST loads): sample counts times the sampling interval, so two loads compare in time, not in shares.
const perRequest = (hits: number) => (requests ? `${((hits * intervalUs) / requests).toFixed(1).padStart(6)} us/req  ` : '')
const requests = (result as { requests?: number }).requests ?? 0
const intervalUs = (profileEndUs - profileStartUs) / Math.max(1, profile.samples?.length ?? all)
process.stdout.write(`# ${what}: ${JSON.stringify(result)}\n# self time, ${all} samples\n`)
for (const [key, hits] of top) process.stdout.write(`${((100 * hits) / all).toFixed(1).padStart(5)}%  ${perRequest(hits)}${key}\n`)
// Self time by where the code lives: a package, a directory of Postbridge's own, Node itself, or native.
const byPlace = new Map<string, number>()
for (const n of profile.nodes) {
  const url = n.callFrame.url
  const place = url.includes('node_modules/')
    ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
    : url.includes('/build/')
      ? url.replace(/^.*\/build\/([^/]+\/[^/]+).*$/, 'build/$1')
      : /^(broker|src)\//.test(url)
        ? url.replace(/^([^/]+\/[^/]+).*$/, '$1')
        : url.startsWith('node:')
          ? 'node:*'
          : `(${n.callFrame.functionName || 'native'})`
  byPlace.set(place, (byPlace.get(place) ?? 0) + n.hitCount)
}
process.stdout.write('# self time by place\n')
for (const [place, hits] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 15))
  process.stdout.write(`${((100 * hits) / all).toFixed(1).padStart(5)}%  ${perRequest(hits)}${place}\n`)
if (process.env.KEEP_PROFILE) process.stdout.write(`# profile: ${join(dir, file)}\n`)
else rmSync(dir, { recursive: true, force: true })
