/**
 * How fast the edge drains its queue to home: the Worker under `wrangler dev`, N messages queued at the edge while no
 * home is linked, then a home node links and the clock runs until the edge queue is empty (every message is in home's
 * broker and acknowledged). `npx tsx scripts/edge-drain-rate.ts [count]` (default 5000).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHome } from '../broker/home.js'
import { parseConfig } from '../src/config.js'
import { RecordingLogger } from '../src/testing/recording-logger.js'
import { buildWorker, EDGE_ADMIN_TOKEN, EDGE_SECRET, startWranglerDev, tempPersistDir } from '../test/fixtures/wrangler-dev.js'

const count = Number(process.argv[2] ?? 5000)
const bundleDir = await buildWorker()
const state = tempPersistDir()
const edge = await startWranglerDev({
  bundleDir,
  persistTo: state.dir,
  vars: { POSTBRIDGE_EDGE_QUEUE_MAX: String(Math.max(count, 1000)), POSTBRIDGE_EDGE_ACK_TIMEOUT: '60s' },
})
// Made here, not by the tests' fixture, which removes its folders through vitest's hooks.
const dataDir = mkdtempSync(join(tmpdir(), 'postbridge-edge-drain-'))
const auth = { authorization: `Bearer ${EDGE_ADMIN_TOKEN}` }
// The link's facts in /v1/health are for a token holder only.
const queued = async () => ((await (await fetch(`${edge.url}/v1/health`, { headers: auth })).json()) as { link: { queued: number } }).link.queued
try {
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({ topic: 'drain/rate', payload: `m-${i + j}` }))
    const res = await fetch(`${edge.url}/v1/publish/bulk`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    })
    if (res.status !== 202) throw new Error(`queueing answered ${res.status}: ${await res.text()}`)
  }
  console.log(`queued at the edge: ${await queued()}`)
  const config = parseConfig(
    { host: '127.0.0.1', dataDir, logLevel: 'silent', mqtt: { port: 0 }, http: { port: 0 }, edge: { url: edge.url, up: ['nothing/up/#'] } },
    { POSTBRIDGE_ADMIN_TOKEN: 'drain-admin-token-0123456789abcdef', POSTBRIDGE_EDGE_SECRET: EDGE_SECRET },
  )
  const start = Date.now()
  const home = await startHome(config, new RecordingLogger())
  try {
    // The drain starts when the first message is acknowledged; the rate counts from there.
    let first: { at: number; left: number } | undefined
    for (;;) {
      const left = await queued()
      if (left < count && !first) first = { at: Date.now(), left }
      if (left === 0) break
      if (Date.now() - start > 120_000) throw new Error(`${left} still queued after 2 minutes:\n${edge.output().slice(-3000)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const end = Date.now()
    const total = `drained ${count} messages in ${((end - start) / 1000).toFixed(2)} s from home's start (start and link included)`
    const seconds = first ? (end - first.at) / 1000 : 0
    // A drain too quick for the 20 ms poll has no "once flowing" figure; use a larger count.
    console.log(
      first && first.left > 0 && seconds > 0
        ? `${total}; ${first.left} in ${seconds.toFixed(2)} s once flowing: ${Math.round(first.left / seconds)} msg/s`
        : total,
    )
  } finally {
    await home.close()
  }
} finally {
  await edge.stop()
  state.remove()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(bundleDir, { recursive: true, force: true })
}
