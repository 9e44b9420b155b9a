/**
 * What a home node tells its load watch (broker/load-watch.ts, which lets the optimising compiler go): each HTTP
 * request, MQTT connect and message the broker routes, not its own `$SYS` statistics, and nothing once the node was busy.
 */
import mqtt from 'mqtt'
import { afterEach, expect, it } from 'vitest'
import type { LoadWatch } from '../broker/load-watch.js'
import { hashPassword } from '../src/auth/password.js'
import { startTestHome, type TestHome, waitFor } from './fixtures/home.js'

/** A watch that counts what it is told; `settle()` makes it busy, as a busy window would. */
function countingWatch() {
  let settle!: () => void
  const busy = new Promise<void>((resolve) => {
    settle = resolve
  })
  const watch = {
    told: 0,
    closed: false as boolean,
    activity: () => {
      watch.told++
    },
    busy,
    close: () => {
      watch.closed = true
    },
  } satisfies LoadWatch & { told: number; closed: boolean }
  return { watch, settle }
}

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

it('is told of each request, MQTT connect and routed message, not of $SYS ticks, and of nothing once busy', async () => {
  // A user whose ACL names `$SYS`, to see the statistics go by (anonymous clients may not).
  const passwordHash = await hashPassword('pw', 1000)
  home = await startTestHome({
    mqtt: { sysInterval: '1s', users: [{ username: 'hall', passwordHash, subscribe: ['$SYS/#'], publish: ['home/#'] }] },
  })
  const { watch, settle } = countingWatch()
  home.watchLoad(watch)

  // Two ticks of $SYS statistics go by: the broker's own publishes are not work.
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { username: 'hall', password: 'pw', reconnectPeriod: 0 })
  try {
    let uptimes = 0
    device.on('message', (topic) => {
      if (topic === '$SYS/broker/uptime') uptimes++
    })
    await device.subscribeAsync('$SYS/broker/uptime')
    // The device's connect was one unit; three ticks of $SYS statistics later, still one.
    await waitFor(() => uptimes >= 3, 10_000, 'three $SYS uptime messages')
    expect(watch.told).toBe(1)

    // A request that routes no message: told once.
    expect((await home.api('/v1/health')).status).toBe(200)
    expect(watch.told).toBe(2)

    // A device's publish: told once, by the broker.
    await device.publishAsync('home/hall/light', 'on', { qos: 1 })
    await waitFor(() => watch.told === 3, 5000, 'the device publish')

    // A REST publish: the request and the message it routes.
    expect((await home.api('/v1/publish/home/hall/light?qos=1', { method: 'POST', body: 'off' })).status).toBe(200)
    expect(watch.told).toBe(5)

    // Busy: neither path tells the watch again.
    settle()
    await watch.busy
    await new Promise((r) => setImmediate(r))
    expect((await home.api('/v1/publish/home/hall/light?qos=1', { method: 'POST', body: 'on' })).status).toBe(200)
    await device.publishAsync('home/hall/light', 'off', { qos: 1 })
    const late = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { reconnectPeriod: 0 })
    await late.endAsync()
    expect(watch.told).toBe(5)
  } finally {
    await device.endAsync()
  }
  expect(watch.closed).toBe(false)
  await home.stop()
  home = undefined
  expect(watch.closed).toBe(true)
}, 30_000)
