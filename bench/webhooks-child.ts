/**
 * The outside world of the webhook bench, in its own process: a node:http receiver and an MQTT publisher. Both ends
 * share this process's clock, so "publish -> arrival" needs no clock sync. Prints one JSON line.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import mqtt from 'mqtt'
import { percentile } from './load.js'

interface Args {
  httpUrl: string
  mqttPort: number
  token: string
  hooks: number
  total: number
  /** Messages per second; 0 publishes as fast as the broker acknowledges (QoS 1, window 100). */
  rate: number
}

const args = JSON.parse(process.argv[2]!) as Args
const expected = args.total * args.hooks
const latencies: number[] = []
const lastSeqByHook = new Map<string, number>()
let received = 0
let outOfOrder = 0
let firstArrival = 0
let lastArrival = 0
let resolveDone: () => void = () => {}
const done = new Promise<void>((r) => (resolveDone = r))

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const now = performance.now()
    const { payload } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payload: string }
    const [seq, sentAt] = payload.split(' ').map(Number) as [number, number]
    latencies.push(now - sentAt)
    const last = lastSeqByHook.get(req.url!) ?? -1
    if (seq <= last) outOfOrder++
    lastSeqByHook.set(req.url!, seq)
    firstArrival ||= now
    lastArrival = now
    res.writeHead(204).end()
    if (++received === expected) resolveDone()
  })
})
server.keepAliveTimeout = 60_000
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
const port = (server.address() as AddressInfo).port

const topic = `bench/webhooks/${process.pid}`
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${args.httpUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${args.token}`, 'content-type': 'application/json', ...init.headers },
  })
const ids: string[] = []
for (let i = 0; i < args.hooks; i++) {
  const res = await api('/v1/webhooks', { method: 'POST', body: JSON.stringify({ filter: topic, url: `http://127.0.0.1:${port}/h/${i}` }) })
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${await res.text()}`)
  ids.push(((await res.json()) as { id: string }).id)
}

const cpu0 = process.cpuUsage()
const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${args.mqttPort}`, { clientId: `bench-wh-${process.pid}`, reconnectPeriod: 0 })
const t0 = performance.now()
let sent = 0
const publishOne = (cb: () => void) => pub.publish(topic, `${sent++} ${performance.now()}`, { qos: 1 }, cb)
await new Promise<void>((resolve) => {
  if (args.rate > 0) {
    // Paced: a batch every 10 ms, so the rate holds without one timer per message.
    const perTick = args.rate / 100
    let due = 0
    const timer = setInterval(() => {
      due += perTick
      while (due >= 1 && sent < args.total) {
        due--
        publishOne(() => {})
      }
      if (sent >= args.total) {
        clearInterval(timer)
        resolve()
      }
    }, 10)
    return
  }
  let outstanding = 0
  const pump = () => {
    while (outstanding < 100 && sent < args.total) {
      outstanding++
      publishOne(() => {
        outstanding--
        if (sent === args.total && outstanding === 0) resolve()
        else pump()
      })
    }
  }
  pump()
})
const publishedAt = performance.now()
const receivedWhenPublished = received
const timeout = setTimeout(() => resolveDone(), 180_000)
await done
clearTimeout(timeout)
latencies.sort((a, b) => a - b)
const seconds = (lastArrival - t0) / 1000
const cpu = process.cpuUsage(cpu0)
for (const id of ids) await api(`/v1/webhooks/${id}`, { method: 'DELETE' })
await pub.endAsync()
server.closeAllConnections()
server.close()
process.stdout.write(
  `${JSON.stringify({ expected, received, outOfOrder, seconds, perSecond: received / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), childCpuSeconds: (cpu.user + cpu.system) / 1e6, publishSeconds: (publishedAt - t0) / 1000, drainPerSecond: (received - receivedWhenPublished) / ((lastArrival - publishedAt) / 1000) })}\n`,
)
process.exit(0)
