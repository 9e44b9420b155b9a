/** `npm run bench`: throughput and latency of Postbridge beside baselines the bench starts itself, on this machine. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Aedes } from 'aedes'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Level } from 'level'
import mqtt from 'mqtt'
import { parseConfig } from '../src/config.js'
import { startHome } from '../broker/home.js'
import { createLogger } from '../broker/logger.js'
import { runChild } from './children.js'
import type { LoadResult } from './load.js'
import { benchWebhooks } from './webhooks.js'

const ADMIN = 'bench-admin-token-0123456789abcdef'
const REST_TOTAL = Number(process.env.BENCH_REST_TOTAL ?? 30_000)
const MQTT_TOTAL = Number(process.env.BENCH_MQTT_TOTAL ?? 100_000)
const CONNECTIONS = 32

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

function row(name: string, r: { perSecond: number; p50Ms: number; p99Ms: number }, extra = ''): void {
  process.stdout.write(`${name.padEnd(44)} ${fmt(r.perSecond).padStart(8)} /s   p50 ${fmt(r.p50Ms, 2).padStart(6)} ms   p99 ${fmt(r.p99Ms, 2).padStart(6)} ms ${extra}\n`)
}

/** Counts deliveries on a filter, so a run proves that nothing went missing. */
async function countingSubscriber(port: number, filter: string, qos: 0 | 1) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `bench-count-${qos}-${Date.now()}`, reconnectPeriod: 0 })
  await client.subscribeAsync(filter, { qos })
  let count = 0
  client.on('message', () => count++)
  return {
    get count() {
      return count
    },
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

async function restLoad(url: string, total: number): Promise<LoadResult> {
  return runChild<LoadResult>('./load-child.ts', { url, total, connections: CONNECTIONS, bodyBytes: 16, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'text/plain' } })
}

/** The baseline: a bare node:http server that publishes each request body with mqtt.js. */
async function startBaseline(mqttPort: number): Promise<{ url: string; close(): Promise<void> }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `bench-baseline-${Date.now()}`, reconnectPeriod: 0 })
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url!, 'http://x')
      const qos = Number(u.searchParams.get('qos') ?? 1) as 0 | 1
      client.publish(u.pathname.slice('/v1/publish/'.length), Buffer.concat(chunks), { qos }, (err) => {
        res.writeHead(err ? 503 : 200, { 'content-type': 'application/json' }).end('{}')
      })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
      await client.endAsync()
    },
  }
}

async function benchRest(): Promise<void> {
  process.stdout.write(`\n# REST publish, ${fmt(REST_TOTAL)} requests over ${CONNECTIONS} keep-alive connections, 16-byte bodies\n`)
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-'))
  const config = parseConfig({ host: '127.0.0.1', dataDir, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 } }, { POSTBRIDGE_ADMIN_TOKEN: ADMIN })
  const home = await startHome(config, createLogger('warn'))
  const baseline = await startBaseline(home.mqttPort)
  try {
    for (const qos of [0, 1] as const) {
      const sub = await countingSubscriber(home.mqttPort, 'bench/rest/#', qos)
      await restLoad(`${home.httpUrl}/v1/publish/bench/rest/warm?qos=${qos}`, 2000) // warm-up: JIT, pools
      await sub.waitFor(2000)
      sub.reset()
      const pb = await restLoad(`${home.httpUrl}/v1/publish/bench/rest/t?qos=${qos}`, REST_TOTAL)
      const pbGot = await sub.waitFor(REST_TOTAL)
      sub.reset()
      const base = await restLoad(`${baseline.url}/v1/publish/bench/rest/t?qos=${qos}`, REST_TOTAL)
      const baseGot = await sub.waitFor(REST_TOTAL)
      row(`postbridge  POST /v1/publish qos ${qos}`, pb, `errors ${pb.errors}, delivered ${pbGot}/${REST_TOTAL}`)
      row(`baseline    node:http + mqtt.js qos ${qos}`, base, `errors ${base.errors}, delivered ${baseGot}/${REST_TOTAL}`)
      process.stdout.write(`ratio postbridge/baseline qos ${qos}: ${fmt(pb.perSecond / base.perSecond, 2)}\n`)
      await sub.close()
    }
  } finally {
    await baseline.close()
    await home.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

async function benchMqtt(): Promise<void> {
  process.stdout.write(`\n# MQTT publish -> deliver, ${fmt(MQTT_TOTAL)} messages of 64 bytes, one publisher and one subscriber, window 100\n`)
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-'))
  const config = parseConfig({ host: '127.0.0.1', dataDir, logLevel: 'warn', mqtt: { port: 0 }, http: { port: 0 } }, { POSTBRIDGE_ADMIN_TOKEN: ADMIN })
  const home = await startHome(config, createLogger('warn'))
  // Two bare brokers: aedes as shipped (memory persistence), and aedes on the same LevelDB persistence
  // Postbridge uses, since a QoS 1 delivery writes to the store and that write is most of the difference.
  const bare = await Aedes.createBroker()
  const bareServer = createTcpServer((socket) => bare.handle(socket))
  await new Promise<void>((r) => bareServer.listen(0, '127.0.0.1', r))
  const barePort = (bareServer.address() as AddressInfo).port
  const levelDb = new Level<string, string>(join(dataDir, 'bare-level'))
  const bareLevel = await Aedes.createBroker({ persistence: new AsyncLevelPersistence(levelDb as never) as never })
  const bareLevelServer = createTcpServer((socket) => bareLevel.handle(socket))
  await new Promise<void>((r) => bareLevelServer.listen(0, '127.0.0.1', r))
  const bareLevelPort = (bareLevelServer.address() as AddressInfo).port
  type MqttResult = { received: number; sent: number; perSecond: number; p50Ms: number; p99Ms: number }
  try {
    for (const qos of [0, 1] as const) {
      await runChild('./mqtt-child.ts', { port: home.mqttPort, total: 5000, qos, window: 100 }) // warm-up
      await runChild('./mqtt-child.ts', { port: barePort, total: 5000, qos, window: 100 })
      const pb = await runChild<MqttResult>('./mqtt-child.ts', { port: home.mqttPort, total: MQTT_TOTAL, qos, window: 100 })
      const base = await runChild<MqttResult>('./mqtt-child.ts', { port: barePort, total: MQTT_TOTAL, qos, window: 100 })
      const baseLevel = await runChild<MqttResult>('./mqtt-child.ts', { port: bareLevelPort, total: MQTT_TOTAL, qos, window: 100 })
      row(`postbridge broker  qos ${qos}`, pb, `delivered ${pb.received}/${pb.sent}`)
      row(`bare aedes (memory) qos ${qos}`, base, `delivered ${base.received}/${base.sent}`)
      row(`bare aedes (level)  qos ${qos}`, baseLevel, `delivered ${baseLevel.received}/${baseLevel.sent}`)
      process.stdout.write(`ratio postbridge/bare aedes qos ${qos}: ${fmt(pb.perSecond / base.perSecond, 2)} (memory), ${fmt(pb.perSecond / baseLevel.perSecond, 2)} (level)\n`)
    }
  } finally {
    await new Promise((r) => bareServer.close(r))
    await new Promise<void>((r) => bare.close(() => r()))
    await new Promise((r) => bareLevelServer.close(r))
    await new Promise<void>((r) => bareLevel.close(() => r()))
    await levelDb.close()
    await home.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Start to ready and idle RSS of the real CLI, as a user runs it. */
async function benchProcess(): Promise<void> {
  process.stdout.write('\n# the process: `postbridge start` on embedded defaults (ports 0, fresh data directory)\n')
  const dataDir = mkdtempSync(join(tmpdir(), 'pb-bench-'))
  const bin = fileURLToPath(new URL('../bin/postbridge.js', import.meta.url))
  const t0 = performance.now()
  const child = spawn(process.execPath, [bin, 'start'], {
    // In the empty data directory: the bench never reads a postbridge.yaml the user left in the checkout.
    cwd: dataDir,
    env: { ...process.env, POSTBRIDGE_HOST: '127.0.0.1', POSTBRIDGE_MQTT_PORT: '0', POSTBRIDGE_HTTP_PORT: '0', POSTBRIDGE_DATA_DIR: dataDir, POSTBRIDGE_ADMIN_TOKEN: ADMIN },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  const ready = await new Promise<{ startupMs: number }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('"msg":"ready"'))
      if (line) resolve(JSON.parse(line) as { startupMs: number })
    })
    child.on('exit', (code) => reject(new Error(`postbridge exited ${code}`)))
  })
  const wallMs = performance.now() - t0
  await new Promise((r) => setTimeout(r, 3000))
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
  process.stdout.write(`start to ready: ${fmt(wallMs)} ms from spawn (process reports ${ready.startupMs} ms since its own start)\n`)
  process.stdout.write(`idle RSS after 3 s: ${fmt(rssKb / 1024, 1)} MB\n`)
  child.kill('SIGTERM')
  await new Promise((r) => child.on('exit', r))
  rmSync(dataDir, { recursive: true, force: true })
}

const only = process.argv[2]
process.stdout.write(`postbridge bench on ${process.platform}/${process.arch}, node ${process.version}\n`)
if (!only || only === 'rest') await benchRest()
if (!only || only === 'mqtt') await benchMqtt()
if (!only || only === 'process') await benchProcess()
if (!only || only === 'webhooks') {
  await benchWebhooks()
}
process.exit(0)
