/** MQTT publish -> deliver through a broker, measured from a separate process: one publisher, one subscriber. */
import mqtt from 'mqtt'
import { percentile } from './load.js'

const { port, total, qos, window: inFlight } = JSON.parse(process.argv[2]!) as { port: number; total: number; qos: 0 | 1; window: number }
const url = `mqtt://127.0.0.1:${port}`
const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}`, reconnectPeriod: 0 })
const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}`, reconnectPeriod: 0 })
await sub.subscribeAsync('bench/mqtt/#', { qos })

const latencies: number[] = []
let received = 0
let resolveDone: () => void = () => {}
const done = new Promise<void>((r) => (resolveDone = r))
sub.on('message', (_topic, payload) => {
  latencies.push(performance.now() - payload.readDoubleLE(0))
  if (++received === total) resolveDone()
})

const t0 = performance.now()
let sent = 0
// A bounded window of unacknowledged publishes, as a real device fleet would have.
await new Promise<void>((resolve) => {
  let outstanding = 0
  const pump = () => {
    while (outstanding < inFlight && sent < total) {
      const payload = Buffer.alloc(64)
      payload.writeDoubleLE(performance.now(), 0)
      outstanding++
      sent++
      pub.publish('bench/mqtt/t', payload, { qos }, () => {
        outstanding--
        if (sent === total && outstanding === 0) resolve()
        else pump()
      })
    }
  }
  pump()
})
const timeout = setTimeout(() => resolveDone(), 30_000)
await done
clearTimeout(timeout)
const seconds = (performance.now() - t0) / 1000
latencies.sort((a, b) => a - b)
process.stdout.write(`${JSON.stringify({ sent: total, received, seconds, perSecond: received / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) })}\n`)
await Promise.all([sub.endAsync(), pub.endAsync()])
