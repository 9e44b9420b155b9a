/**
 * MQTT publish -> deliver through a broker, measured from a separate process: `pairs` publisher -> subscriber
 * pairs, each on its own topic with at most `window` publishes unacknowledged, TCP_NODELAY on the clients.
 */
import mqtt from 'mqtt'
import { percentile } from './load.js'

const {
  port,
  total,
  qos,
  window: inFlight,
  pairs = 1,
} = JSON.parse(process.argv[2]!) as { port: number; total: number; qos: 0 | 1; window: number; pairs?: number }
const url = `mqtt://127.0.0.1:${port}`
const latencies: number[] = []
let received = 0

async function pair(i: number, count: number): Promise<() => Promise<unknown>> {
  const topic = `bench/mqtt/${process.pid}/${i}`
  const sub = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}-${i}`, reconnectPeriod: 0 })
  const pub = await mqtt.connectAsync(url, { clientId: `bench-pub-${process.pid}-${i}`, reconnectPeriod: 0 })
  for (const c of [sub, pub]) (c.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true)
  await sub.subscribeAsync(topic, { qos })
  let got = 0
  let resolveDone: () => void = () => {}
  const done = new Promise<void>((r) => (resolveDone = r))
  sub.on('message', (_topic, payload) => {
    latencies.push(performance.now() - payload.readDoubleLE(0))
    received++
    if (++got === count) resolveDone()
  })
  return async () => {
    let sent = 0
    // A bounded window of unacknowledged publishes, as a real device fleet would have.
    await new Promise<void>((resolve) => {
      let outstanding = 0
      const pump = () => {
        while (outstanding < inFlight && sent < count) {
          const payload = Buffer.alloc(64)
          payload.writeDoubleLE(performance.now(), 0)
          outstanding++
          sent++
          pub.publish(topic, payload, { qos }, () => {
            outstanding--
            if (sent === count && outstanding === 0) resolve()
            else pump()
          })
        }
      }
      pump()
    })
    const timeout = setTimeout(resolveDone, 30_000)
    await done
    clearTimeout(timeout)
    await Promise.all([sub.endAsync(), pub.endAsync()])
  }
}

const per = Math.ceil(total / pairs)
const runs = await Promise.all(Array.from({ length: pairs }, (_, i) => pair(i, per)))
const t0 = performance.now()
await Promise.all(runs.map((run) => run()))
const seconds = (performance.now() - t0) / 1000
latencies.sort((a, b) => a - b)
process.stdout.write(
  `${JSON.stringify({ sent: per * pairs, received, seconds, perSecond: received / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) })}\n`,
)
