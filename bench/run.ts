/**
 * `npm run bench [-- --quick] [rest|mqtt|process|edge|webhooks]`: Postbridge beside baselines the bench starts
 * itself, each as its own process as a user would run it (servers.ts). Prints absolutes and ratios against
 * the baselines for every target of docs/speed.md, then the table for it.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { holdChild, runChild } from './children.js'
import type { LoadResult } from './load.js'
import { ADMIN, cpuUs, startBaseline, startPostbridge, type Running } from './servers.js'
import { warmFor } from './warm.js'
import { benchWebhooks } from './webhooks.js'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick')
const only = args.find((a) => !a.startsWith('--'))
const REST_TOTAL = Number(process.env.BENCH_REST_TOTAL ?? (QUICK ? 2000 : 30_000))
const REST_WARM = QUICK ? 500 : 3000
const REST_ROUNDS = Number(process.env.BENCH_REST_ROUNDS ?? (QUICK ? 1 : 3))
const MQTT_TOTAL = Number(process.env.BENCH_MQTT_TOTAL ?? (QUICK ? 10_000 : 100_000))
const MQTT_WARM = QUICK ? 1000 : 10_000
const DEVICES = 1000
/** Seconds after start-up when idle RSS is read again, at rest: after V8's memory reducer (which waits 8 s) has run. */
const REST_S = 20
/**
 * Seconds the node is then left idle, its RSS read every 10 s: the highest reading shows what idle work costs once it
 * has run for a while (periodic work that V8 ends up optimising brings in the optimising compiler, ~4 MB).
 */
const STILL_IDLE_S = 90
const CONNECTIONS = 32
const PAIRS = 4
const WINDOW = 100

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const out = (line: string) => process.stdout.write(`${line}\n`)
const summary: string[] = []

interface Rate {
  perSecond: number
  p50Ms: number
  p99Ms: number
}

function row(name: string, r: Rate, extra = ''): void {
  out(
    `${name.padEnd(40)} ${fmt(r.perSecond).padStart(8)} /s   p50 ${fmt(r.p50Ms, 1).padStart(6)} ms   p99 ${fmt(r.p99Ms, 1).padStart(6)} ms  ${extra}`,
  )
}

/** The CLI runs from build/bundle/: rebuild it first when a source file is newer, so the bench measures this tree. */
function ensureBuilt(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  let built = 0
  try {
    built = statSync(join(root, 'build/bundle/cli.js')).mtimeMs
  } catch {}
  const newer = (dir: string): boolean =>
    readdirSync(join(root, dir), { withFileTypes: true, recursive: true }).some(
      (e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && statSync(join(e.parentPath, e.name)).mtimeMs > built,
    )
  if (built === 0 || newer('src') || newer('broker')) {
    out('(building: sources are newer than build/)')
    execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' })
  }
}

/** Counts deliveries on a filter, so a run proves that nothing went missing. */
async function countingSubscriber(port: number, filter: string, qos: 0 | 1) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-count-${qos}-${Date.now()}`, reconnectPeriod: 0 })
  await client.subscribeAsync(filter, { qos })
  let count = 0
  client.on('message', () => count++)
  return {
    async waitFor(n: number, ms = 30_000) {
      const deadline = Date.now() + ms
      while (count < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      return count
    },
    reset() {
      count = 0
    },
    close: () => client.endAsync(),
  }
}

function restLoad(url: string, total: number): Promise<LoadResult> {
  return runChild<LoadResult>('./load-child.ts', {
    url,
    total,
    connections: CONNECTIONS,
    bodyBytes: 64,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' },
  })
}

/** The round with the median rate; with an even count, the lower of the middle two. */
function medianRound<T extends { r: LoadResult }>(rounds: T[]): T {
  const sorted = [...rounds].sort((a, b) => a.r.perSecond - b.r.perSecond)
  return sorted[Math.floor((sorted.length - 1) / 2)] as T
}

async function benchRest(pb: Running): Promise<void> {
  out(
    `\n# REST -> MQTT: ${fmt(REST_TOTAL)} requests over ${CONNECTIONS} keep-alive connections, 64-byte bodies, every message counted at a subscriber; ${REST_ROUNDS} round(s) each, alternating`,
  )
  out('# baseline: bare node:http + mqtt.js in its own process, publishing into the same Postbridge broker')
  const bridge = await startBaseline('bridge', pb.mqttPort)
  try {
    for (const qos of [0, 1] as const) {
      const sub = await countingSubscriber(pb.mqttPort, 'bench/rest/#', qos)
      const measure = async (base: string, warm: boolean) => {
        if (warm) {
          let warmed = 0
          await warmFor(async () => {
            await restLoad(`${base}/v1/publish/bench/rest/warm?qos=${qos}`, REST_WARM) // warm-up: JIT, pools
            warmed += REST_WARM
          })
          await sub.waitFor(warmed)
          sub.reset()
        }
        // Both server processes: the bare bridge publishes into Postbridge's broker, so the broker's share of its
        // work is counted in the Postbridge process. CPU time is what a request costs; req/s also says how the
        // shared machine scheduled the run, and moved by a third between runs of one build.
        const cpuBefore = cpuUs(pb.pid) + cpuUs(bridge.pid)
        const r = await restLoad(`${base}/v1/publish/bench/rest/t?qos=${qos}`, REST_TOTAL)
        const got = await sub.waitFor(REST_TOTAL)
        const cpuPerRequestUs = (cpuUs(pb.pid) + cpuUs(bridge.pid) - cpuBefore) / REST_TOTAL
        sub.reset()
        return { r, got, cpuPerRequestUs }
      }
      // Rounds alternate which server goes first, and each side's median round is reported: on a shared machine one
      // round of each read ratios a third apart, and whichever ran second met a different machine.
      const pbRounds: Awaited<ReturnType<typeof measure>>[] = []
      const bareRounds: Awaited<ReturnType<typeof measure>>[] = []
      const sides = [
        { url: pb.httpUrl ?? '', rounds: pbRounds },
        { url: bridge.httpUrl ?? '', rounds: bareRounds },
      ]
      for (let round = 0; round < REST_ROUNDS; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) side.rounds.push(await measure(side.url, round === 0))
      }
      const p = medianRound(pbRounds)
      const b = medianRound(bareRounds)
      await sub.close()
      const label = qos === 0 ? 'qos 0' : 'qos 1 (on disk before the 200 / after PUBACK)'
      const cpu = (us: number) => `server CPU ${fmt(us)} us/request`
      row(
        `postbridge POST /v1/publish ${label.slice(0, 5)}`,
        p.r,
        `errors ${p.r.errors}, delivered ${p.got}/${REST_TOTAL}, ${cpu(p.cpuPerRequestUs)}`,
      )
      row(`bare node:http + mqtt.js ${label.slice(0, 5)}`, b.r, `errors ${b.r.errors}, delivered ${b.got}/${REST_TOTAL}, ${cpu(b.cpuPerRequestUs)}`)
      if (REST_ROUNDS > 1) {
        const rates = (rounds: typeof pbRounds) => rounds.map((x) => fmt(x.r.perSecond)).join(', ')
        out(`(median of ${REST_ROUNDS} alternating rounds; postbridge ${rates(pbRounds)} req/s; bare ${rates(bareRounds)} req/s)`)
      }
      const ratio = p.r.perSecond / b.r.perSecond
      out(`ratio postbridge/bare qos ${qos}: ${fmt(ratio, 2)}  (target ${qos === 0 ? '>= 1.1, p99 < 10 ms' : '>= 1.0'})`)
      out(`server CPU per request, bare/postbridge qos ${qos}: ${fmt(b.cpuPerRequestUs / p.cpuPerRequestUs, 2)}`)
      summary.push(
        `| REST QoS ${qos} | ${fmt(p.r.perSecond)} req/s, p50 ${fmt(p.r.p50Ms, 1)} ms, p99 ${fmt(p.r.p99Ms, 1)} ms | ${fmt(b.r.perSecond)} req/s, p50 ${fmt(b.r.p50Ms, 1)} ms, p99 ${fmt(b.r.p99Ms, 1)} ms (bare node:http + mqtt.js${qos === 1 ? ', after PUBACK' : ''}) | ${fmt(ratio, 2)}x | ${qos === 0 ? '>= 1.1x, p99 < 10 ms' : '>= 1.0x'} |`,
      )
    }
  } finally {
    await bridge.close()
  }
}

type MqttResult = { received: number; sent: number; perSecond: number; p50Ms: number; p99Ms: number }

async function benchMqtt(pb: Running, memory: Running, level: Running): Promise<void> {
  out(`\n# MQTT publish -> deliver: ${fmt(MQTT_TOTAL)} messages of 64 bytes, ${PAIRS} publisher->subscriber pairs, at most ${WINDOW} in flight each`)
  for (const qos of [0, 1] as const) {
    const results: MqttResult[] = []
    for (const server of [pb, memory, level]) {
      await warmFor(() => runChild('./mqtt-child.ts', { port: server.mqttPort, total: MQTT_WARM, qos, window: WINDOW, pairs: PAIRS }))
      results.push(await runChild<MqttResult>('./mqtt-child.ts', { port: server.mqttPort, total: MQTT_TOTAL, qos, window: WINDOW, pairs: PAIRS }))
    }
    const [p, m, l] = results as [MqttResult, MqttResult, MqttResult]
    row(`postbridge broker qos ${qos}`, p, `delivered ${p.received}/${p.sent}`)
    row(`bare aedes (memory store) qos ${qos}`, m, `delivered ${m.received}/${m.sent}`)
    row(`bare aedes (LevelDB store) qos ${qos}`, l, `delivered ${l.received}/${l.sent}`)
    const rm = p.perSecond / m.perSecond
    out(
      `ratio postbridge/bare aedes qos ${qos}: ${fmt(rm, 2)} (memory), ${fmt(p.perSecond / l.perSecond, 2)} (LevelDB)  (target ${qos === 0 ? '>= 0.9' : '>= 0.8'} of memory)`,
    )
    summary.push(
      `| MQTT QoS ${qos} | ${fmt(p.perSecond)} msg/s, p99 ${fmt(p.p99Ms, 1)} ms | ${fmt(m.perSecond)} msg/s, p99 ${fmt(m.p99Ms, 1)} ms (bare aedes, memory); ${fmt(l.perSecond)} msg/s (LevelDB) | ${fmt(rm, 2)}x | >= ${qos === 0 ? '0.9' : '0.8'}x |`,
    )
  }
}

async function benchProcess(pb: Running, memory: Running): Promise<void> {
  out(`\n# the process: \`postbridge start\` on embedded defaults vs bare aedes (memory store)`)
  out(
    `start to ready: ${fmt(pb.readyMs)} ms from spawn; bare aedes ${fmt(memory.readyMs)} ms (ratio ${fmt(pb.readyMs / memory.readyMs, 2)}, target < 500 ms)`,
  )
  await new Promise((r) => setTimeout(r, 3000))
  const idle = [pb.rssMb(), memory.rssMb()] as const
  out(`idle RSS after 3 s: ${fmt(idle[0], 1)} MB; bare aedes ${fmt(idle[1], 1)} MB (ratio ${fmt(idle[0] / idle[1], 2)}, target < 60 MB)`)
  // At rest: V8's memory reducer starts 8 s after start-up stopped allocating and returns what start-up left
  // behind (3-3.5 MB in both): what an idle node in a house holds.
  await new Promise((r) => setTimeout(r, REST_S * 1000 - 3000))
  const rest = [pb.rssMb(), memory.rssMb()] as const
  out(`idle RSS at rest (${REST_S} s): ${fmt(rest[0], 1)} MB; bare aedes ${fmt(rest[1], 1)} MB (ratio ${fmt(rest[0] / rest[1], 2)}, target < 60 MB)`)
  const highest = [rest[0], rest[1]]
  for (let s = REST_S + 10; s <= STILL_IDLE_S; s += 10) {
    await new Promise((r) => setTimeout(r, 10_000))
    highest[0] = Math.max(highest[0]!, pb.rssMb())
    highest[1] = Math.max(highest[1]!, memory.rssMb())
  }
  out(
    `idle RSS, highest of readings every 10 s up to ${STILL_IDLE_S} s: ${fmt(highest[0]!, 1)} MB; bare aedes ${fmt(highest[1]!, 1)} MB (ratio ${fmt(highest[0]! / highest[1]!, 2)}, target < 60 MB)`,
  )
  const held: number[] = []
  const connectCpuUs: number[] = []
  for (const server of [pb, memory]) {
    const cpuBefore = cpuUs(server.pid)
    const devices = await holdChild<{ connected: number }>('./devices-child.ts', { port: server.mqttPort, count: DEVICES })
    connectCpuUs.push((cpuUs(server.pid) - cpuBefore) / DEVICES)
    await new Promise((r) => setTimeout(r, 1000))
    held.push(server.rssMb())
    if (devices.result.connected !== DEVICES) out(`(only ${devices.result.connected}/${DEVICES} devices connected)`)
    await devices.close()
  }
  out(
    `RSS with ${fmt(DEVICES)} idle devices: ${fmt(held[0]!, 1)} MB; bare aedes ${fmt(held[1]!, 1)} MB (ratio ${fmt(held[0]! / held[1]!, 2)}, target < 120 MB)`,
  )
  // What a reconnect storm (a restart, a power cut) costs: the server's CPU time while the devices connected.
  out(`server CPU per connect (${fmt(DEVICES)} devices, 50 at a time): ${fmt(connectCpuUs[0]!)} us; bare aedes ${fmt(connectCpuUs[1]!)} us`)
  summary.push(
    `| start to ready | ${fmt(pb.readyMs)} ms | ${fmt(memory.readyMs)} ms (bare aedes) | ${fmt(pb.readyMs / memory.readyMs, 2)}x | < 500 ms |`,
  )
  summary.push(`| idle RSS, 3 s after ready | ${fmt(idle[0], 1)} MB | ${fmt(idle[1], 1)} MB (bare aedes) | ${fmt(idle[0] / idle[1], 2)}x | < 60 MB |`)
  summary.push(
    `| idle RSS at rest, ${REST_S} s after ready | ${fmt(rest[0], 1)} MB | ${fmt(rest[1], 1)} MB (bare aedes) | ${fmt(rest[0] / rest[1], 2)}x | < 60 MB |`,
  )
  summary.push(
    `| idle RSS, highest from ${REST_S} to ${STILL_IDLE_S} s after ready | ${fmt(highest[0]!, 1)} MB | ${fmt(highest[1]!, 1)} MB (bare aedes) | ${fmt(highest[0]! / highest[1]!, 2)}x | < 60 MB |`,
  )
  summary.push(
    `| RSS, ${fmt(DEVICES)} idle devices | ${fmt(held[0]!, 1)} MB | ${fmt(held[1]!, 1)} MB (bare aedes) | ${fmt(held[0]! / held[1]!, 2)}x | < 120 MB |`,
  )
}

/**
 * The edge link's drain (scripts/edge-drain-rate.ts): messages queued at the Worker under `wrangler dev` while no
 * home is linked, then a home node links and the clock runs until the queue is empty.
 */
function benchEdgeDrain(): void {
  const count = Number(process.env.BENCH_EDGE_TOTAL ?? 20_000)
  out(`\n# edge link drain: ${fmt(count)} messages queued at the Worker (wrangler dev), then home links and drains them`)
  const script = fileURLToPath(new URL('../scripts/edge-drain-rate.ts', import.meta.url))
  const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))
  const line = execFileSync(process.execPath, [tsx, script, String(count)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop()
  out(line ?? '(no result)')
  const flowing = /(\d+) msg\/s/.exec(line ?? '')?.[1]
  const whole = /drained (\d+) messages in ([\d.]+) s/.exec(line ?? '')
  const wholeRate = whole ? Number(whole[1]) / Number(whole[2]) : undefined
  summary.push(
    `| edge link drain | ${flowing ? `${fmt(Number(flowing))} msg/s once flowing` : 'n/a'}${wholeRate ? `; ${fmt(wholeRate)} msg/s with home's start and link` : ''} | | | >= 5,000 msg/s |`,
  )
}

out(`postbridge bench on ${process.platform}/${process.arch}, node ${process.version}${QUICK ? ' (quick)' : ''}`)
ensureBuilt()
if (only !== 'webhooks') {
  // Started one after the other, so start-to-ready is not measured under the others' start.
  const pb = await startPostbridge()
  const memory = await startBaseline('aedes-memory')
  const level = await startBaseline('aedes-level')
  try {
    if (!only || only === 'process') await benchProcess(pb, memory)
    if (!only || only === 'rest') await benchRest(pb)
    if (!only || only === 'mqtt') await benchMqtt(pb, memory, level)
  } finally {
    await Promise.all([pb.close(), memory.close(), level.close()])
  }
  if (!QUICK && (!only || only === 'edge')) benchEdgeDrain()
  out('\n| target | Postbridge | baseline | ratio | goal |\n|---|---|---|---|---|')
  for (const line of summary) out(line)
}
if (!QUICK && (!only || only === 'webhooks')) await benchWebhooks()
process.exit(0)
