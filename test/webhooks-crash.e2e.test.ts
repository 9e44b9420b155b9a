/** Issue 3: a receiver down while Postbridge is killed (SIGKILL) gets every accepted message after both come back, in order. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDataDir, waitFor } from './fixtures/home.js'
import { mosquittoPub } from './fixtures/mosquitto.js'
import { startCli, type RunningPostbridge } from './fixtures/process.js'
import { startReceiver, type Receiver } from './fixtures/receiver.js'

const ADMIN = 'webhook-crash-admin-token-0123456789'
const auth = { authorization: `Bearer ${ADMIN}` }
const running: RunningPostbridge[] = []
let receiver: Receiver | undefined

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL')
      await p.exited
    }
  }
  await receiver?.close().catch(() => {})
  receiver = undefined
})

async function start(dataDir: string, configFile: string) {
  const p = await startCli({
    POSTBRIDGE_DATA_DIR: dataDir,
    POSTBRIDGE_ADMIN_TOKEN: ADMIN,
    POSTBRIDGE_LOG_LEVEL: 'info',
    POSTBRIDGE_CONFIG: configFile,
  })
  running.push(p)
  return p
}

/** Arrival order with repeats of the same message collapsed; at-least-once allows a repeat, never a gap or a swap. */
function firstArrivals(ids: string[]): string[] {
  const seen = new Set<string>()
  return ids.filter((id) => (seen.has(id) ? false : (seen.add(id), true)))
}

describe('webhook delivery across a crash', () => {
  it('delivers every message accepted before SIGKILL once the receiver and Postbridge are back, in order', async () => {
    const dataDir = tempDataDir()
    const configFile = join(dataDir, 'postbridge.yaml')
    // Many quick attempts: the receiver is away for a few seconds, and the test should not wait for long backoffs.
    writeFileSync(configFile, 'webhooks:\n  allowPrivate: true\n  retryBase: 100ms\n  maxAttempts: 50\n')
    receiver = await startReceiver()
    const first = await start(dataDir, configFile)
    const res = await fetch(`${first.httpUrl}/v1/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ filter: 'crash/#', url: receiver.url }),
      headers: { ...auth, 'content-type': 'application/json' },
    })
    expect(res.status).toBe(201)
    const { secret } = (await res.json()) as { secret: string }

    const published: string[] = []
    // Two while the receiver is up...
    for (const n of [0, 1]) {
      expect((await mosquittoPub(first.mqttPort, `crash/${n}`, `m${n}`, ['-q', '1'])).code).toBe(0)
      published.push(`m${n}`)
    }
    await waitFor(() => receiver!.requests.length >= 2, 10_000, 'deliveries before the outage')
    // ...then the receiver goes away and messages pile up in the outbox, by MQTT and by HTTP.
    await receiver.down()
    for (let n = 2; n < 22; n++) {
      if (n % 2 === 0) expect((await mosquittoPub(first.mqttPort, `crash/${n}`, `m${n}`, ['-q', '1'])).code).toBe(0)
      else expect((await fetch(`${first.httpUrl}/v1/publish/crash/${n}?qos=1`, { method: 'POST', body: `m${n}`, headers: auth })).status).toBe(200)
      published.push(`m${n}`)
    }
    first.child.kill('SIGKILL')
    await first.exited

    await receiver.up()
    const second = await start(dataDir, configFile)
    await waitFor(() => firstArrivals(receiver!.bodies().map((b) => b.payload)).length >= published.length, 20_000, 'every message after the restart')
    receiver.verifyAll(secret)
    expect(firstArrivals(receiver.bodies().map((b) => b.payload))).toEqual(published)
    // The same message keeps its id across the crash: receivers can drop repeats by webhook-id.
    const idsByPayload = new Map<string, Set<string>>()
    for (const r of receiver.requests) {
      const payload = (JSON.parse(r.body) as { payload: string }).payload
      idsByPayload.set(payload, (idsByPayload.get(payload) ?? new Set()).add(r.headers['webhook-id']!))
    }
    for (const ids of idsByPayload.values()) expect(ids.size).toBe(1)
    expect(second.child.exitCode).toBeNull()
  })
})
