/**
 * The edge end to end (issue 5): the Worker bundle under `wrangler dev`, a real home node linked to it over MQTT 5 on
 * WebSocket, and Debian's mosquitto clients at home.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, createServer, type Socket } from 'node:net'
import mqtt from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestHome, tempDataDir, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub, mosquittoSub, type SubProcess } from './fixtures/mosquitto.js'
import { startFaultProxy, type FaultProxy } from './fixtures/fault-proxy.js'
import { startCli, type RunningPostbridge } from './fixtures/process.js'
import { startReceiver } from './fixtures/receiver.js'
import { buildWorker, EDGE_ADMIN_TOKEN, EDGE_SECRET, freePort, startWranglerDev, tempPersistDir, type WranglerDev } from './fixtures/wrangler-dev.js'
import { tempDir } from './fixtures/temp-dir.js'

// The webhook receiver of these tests listens on loopback, which a deployed Worker could never reach.
// A short ack timeout: on a broken link a publish answers 202 after it.
const EDGE_VARS = { POSTBRIDGE_WEBHOOKS_ALLOW_PRIVATE: 'true', POSTBRIDGE_EDGE_ACK_TIMEOUT: '3s' }
let bundleDir: string
let state: ReturnType<typeof tempPersistDir>
let edge: WranglerDev
const homes: TestHome[] = []
const subs: SubProcess[] = []
const clients: mqtt.MqttClient[] = []
const proxies: FaultProxy[] = []

beforeAll(async () => {
  bundleDir = await buildWorker(tempDir('postbridge-edge-build-'))
  state = tempPersistDir()
  edge = await startWranglerDev({ bundleDir, persistTo: state.dir, vars: EDGE_VARS })
}, 120_000)

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close()
  for (const s of subs.splice(0)) s.stop()
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  for (const h of homes.splice(0)) await h.stop()
})

afterAll(async () => {
  await edge?.stop()
  state?.remove()
})

function atEdge(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${EDGE_ADMIN_TOKEN}`)
  return fetch(`${edge.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) })
}

async function edgeLink(): Promise<{
  home: string
  since?: string
  linkRefused: number
  queued: number
  expired: number
  syncUnchanged?: number
  upRepeats?: number
}> {
  return ((await (await atEdge('/v1/health')).json()) as { link: never }).link
}

/** A home node linked to the edge; resolves once both sides report the link online. */
async function linkedHome(
  opts: { dataDir?: string; secret?: string; waitOnline?: boolean; url?: string; keepalive?: string } = {},
): Promise<TestHome> {
  const home = await startTestHome(
    {
      mqtt: { port: 0, allowAnonymous: true },
      edge: {
        url: opts.url ?? edge.url,
        minReconnectDelay: '200ms',
        maxReconnectDelay: '1s',
        ...(opts.keepalive ? { keepalive: opts.keepalive } : {}),
      },
    },
    { env: { POSTBRIDGE_EDGE_SECRET: opts.secret ?? EDGE_SECRET }, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) },
  )
  homes.push(home)
  if (opts.waitOnline !== false) {
    await waitFor(async () => (await homeEdge(home)).state === 'online', 15_000, 'home link online')
    await waitFor(async () => (await edgeLink()).home === 'online', 15_000, 'edge sees home online')
  }
  return home
}

async function homeEdge(home: TestHome): Promise<{ state: string; attempts: number; lastError?: string }> {
  return ((await (await home.api('/v1/health')).json()) as { edge: never }).edge
}

/** Reads an SSE response until `count` message events arrived; returns their envelopes. */
async function sseMessages(res: Response, count: number, timeoutMs = 15_000): Promise<{ topic: string; payload: string; retain: boolean }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const out: { topic: string; payload: string; retain: boolean }[] = []
  let buffer = ''
  const deadline = Date.now() + timeoutMs
  try {
    while (out.length < count) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`SSE: ${out.length} of ${count} messages within ${timeoutMs} ms`)
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`SSE: ${out.length} of ${count} messages`)), left)),
      ])
      if (chunk.done) break
      buffer += chunk.value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        if (!/^event: message$/m.test(event)) continue
        out.push(JSON.parse(/^data: (.*)$/m.exec(event)![1]!))
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return out
}

/** A TCP relay to the edge that holds connections until open() is called. */
async function startGate(targetPort: number): Promise<{ url: string; open(): void; close(): void }> {
  let opened = false
  const held: Socket[] = []
  const all = new Set<Socket>()
  const relay = (client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort })
    all.add(upstream)
    client.pipe(upstream).pipe(client)
    client.resume()
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.once('error', end).once('close', end)
    upstream.once('error', end).once('close', end)
  }
  const server = createServer((client) => {
    all.add(client)
    client.pause()
    if (opened) relay(client)
    else held.push(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    open() {
      opened = true
      for (const c of held.splice(0)) relay(c)
    },
    close() {
      server.close()
      for (const s of all) s.destroy()
    },
  }
}

/** mosquitto_pub -l: one message per stdin line, over one connection, in order. */
function mosquittoPubLines(port: number, topic: string, lines: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-q', '1', '-V', 'mqttv5', '-l'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    child.on('exit', (code) => resolve(code))
    child.stdin!.end(`${lines.join('\n')}\n`)
  })
}

/** Opens GET /v1/subscribe at the edge and waits for its ready event, so nothing published after is missed. */
async function subscribeAtEdge(filter: string): Promise<Response> {
  const res = await fetch(`${edge.url}/v1/subscribe?filter=${encodeURIComponent(filter)}`, {
    headers: { authorization: `Bearer ${EDGE_ADMIN_TOKEN}` },
  })
  expect(res.status).toBe(200)
  const [a, b] = res.body!.tee()
  const reader = a.pipeThrough(new TextDecoderStream()).getReader()
  let seen = ''
  while (!seen.includes('event: ready')) seen += (await reader.read()).value ?? ''
  void reader.cancel()
  return new Response(b)
}

describe('the edge linked to a home node', () => {
  it('delivers a publish made at the edge to mosquitto_sub at home, and answers 200 once home acknowledged it', async () => {
    const home = await linkedHome()
    const sub = await mosquittoSub(home.mqttPort, 'e2e/down/#', ['-V', 'mqttv5', '-q', '1'])
    subs.push(sub)
    const res = await atEdge('/v1/publish/e2e/down/lamp', { method: 'POST', body: 'ON' })
    expect(res.status).toBe(200)
    expect(await res.json()).not.toHaveProperty('queued')
    expect(await sub.waitForLines(1, 10_000)).toEqual(['e2e/down/lamp ON'])
  })

  it('streams what mosquitto_pub publishes at home to the edge SSE, and keeps it as the edge retained state', async () => {
    const home = await linkedHome()
    const stream = await subscribeAtEdge('e2e/up/#')
    expect((await mosquittoPub(home.mqttPort, 'e2e/up/door', 'open', ['-r', '-q', '1', '-V', 'mqttv5'])).code).toBe(0)
    const [seen] = await sseMessages(stream, 1)
    expect(seen).toMatchObject({ topic: 'e2e/up/door', payload: 'open' })
    const retained = await waitFor(
      async () => {
        const r = await atEdge('/v1/retained/e2e/up/door')
        return r.status === 200 ? r.text() : undefined
      },
      10_000,
      'retained at the edge',
    )
    expect(retained).toBe('open')
  })

  it('keeps the order of a burst published at home on its way up (mosquitto_pub -l)', async () => {
    const home = await linkedHome()
    const stream = await subscribeAtEdge('e2e/burst')
    const lines = Array.from({ length: 30 }, (_, i) => `m${i}`)
    expect(await mosquittoPubLines(home.mqttPort, 'e2e/burst', lines)).toBe(0)
    expect((await sseMessages(stream, lines.length)).map((m) => m.payload)).toEqual(lines)
  })

  it('sends up the retained state home holds when the link comes up', async () => {
    const dataDir = tempDataDir()
    const offline = await startTestHome({ mqtt: { port: 0, allowAnonymous: true } }, { dataDir })
    expect((await mosquittoPub(offline.mqttPort, 'e2e/sync/thermostat', '19.5', ['-r', '-q', '1'])).code).toBe(0)
    await offline.stop({ keepData: true })
    await linkedHome({ dataDir })
    const text = await waitFor(
      async () => {
        const r = await atEdge('/v1/retained/e2e/sync/thermostat')
        return r.status === 200 ? r.text() : undefined
      },
      10_000,
      'synced retained state',
    )
    expect(text).toBe('19.5')
  })

  it('fires a webhook from the edge for what mosquitto_pub publishes at home, signed per Standard Webhooks', async () => {
    const receiver = await startReceiver()
    try {
      const created = await atEdge('/v1/webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: 'e2e/hook/#', url: `${receiver.url}/hook` }),
      })
      expect(created.status).toBe(201)
      const { secret } = (await created.json()) as { secret: string }
      const home = await linkedHome()
      expect((await mosquittoPub(home.mqttPort, 'e2e/hook/door', 'open', ['-q', '1', '-V', 'mqttv5'])).code).toBe(0)
      await waitFor(() => receiver.requests.length >= 1, 15_000, 'the webhook POST')
      expect(receiver.bodies()[0]).toMatchObject({ topic: 'e2e/hook/door', payload: 'open' })
      receiver.verifyAll(secret)
    } finally {
      await receiver.close()
    }
  })

  it('answers POST /v1/request at the edge with the reply of an MQTT 5 device at home', async () => {
    const home = await linkedHome()
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { protocolVersion: 5, reconnectPeriod: 0 })
    clients.push(device)
    await device.subscribeAsync('e2e/thermostat/get', { qos: 1 })
    device.on('message', (_topic, _payload, packet) => {
      const { responseTopic, correlationData } = packet.properties ?? {}
      if (responseTopic) void device.publishAsync(responseTopic, '21.5', { qos: 1, properties: { correlationData } })
    })
    const res = await atEdge('/v1/request/e2e/thermostat/get?timeout=10000', { method: 'POST', body: 'now?' })
    expect([res.status, await res.text()]).toEqual([200, '21.5'])
  })

  it('answers 202 while home is stopped, and delivers the queued messages in order when home comes back', async () => {
    const first = await linkedHome()
    await first.stop()
    homes.splice(homes.indexOf(first), 1)
    await waitFor(async () => (await edgeLink()).home === 'offline', 10_000, 'edge sees home offline')

    const sent = ['one', 'two', 'three', 'four', 'five']
    for (const body of sent) {
      const res = await atEdge('/v1/publish/e2e/queued', { method: 'POST', body })
      expect(res.status).toBe(202)
      expect(await res.json()).toMatchObject({ queued: true })
    }
    expect((await edgeLink()).queued).toBe(sent.length)

    // Home comes back through a gate held shut until its device has subscribed, so the device sees exactly what the
    // link delivers, in the link's order.
    const gate = await startGate(edge.port)
    try {
      const second = await linkedHome({ url: gate.url, waitOnline: false })
      const sub = await mosquittoSub(second.mqttPort, 'e2e/queued', ['-V', 'mqttv5', '-q', '1'])
      subs.push(sub)
      gate.open()
      expect(await sub.waitForLines(sent.length, 20_000)).toEqual(sent.map((s) => `e2e/queued ${s}`))
      await waitFor(async () => (await edgeLink()).queued === 0, 10_000, 'edge queue drained')
    } finally {
      gate.close()
    }
  })

  it('refuses a home with the wrong link secret, and both sides say so', async () => {
    const before = (await edgeLink()).linkRefused
    const home = await linkedHome({ secret: 'not-the-edge-secret-0123456789', waitOnline: false })
    await waitFor(async () => (await homeEdge(home)).state === 'refused', 15_000, 'home link refused')
    await waitFor(async () => (await edgeLink()).linkRefused > before, 10_000, 'edge counted the refusal')
    await waitFor(() => edge.output().includes('link refused: wrong edge secret'), 10_000, 'the edge log line')
    expect(home.log.text()).toContain('refused by the edge')
    // Home's own health says so too (issue 11).
    expect(((await (await home.api('/v1/health')).json()) as { status: string }).status).toBe('degraded')
    expect(home.log.text()).not.toContain('not-the-edge-secret')
  })

  it('reconnects with backoff after the edge restarts, keeping the edge state', async () => {
    const home = await linkedHome()
    expect((await atEdge('/v1/publish/e2e/restart/mode?retain=true', { method: 'POST', body: 'away' })).status).toBe(200)
    const port = edge.port
    await edge.stop()
    await waitFor(async () => (await homeEdge(home)).attempts >= 2, 15_000, 'home retrying')
    expect((await homeEdge(home)).state).not.toBe('online')
    edge = await startWranglerDev({ bundleDir, persistTo: state.dir, port, vars: EDGE_VARS })
    await waitFor(async () => (await homeEdge(home)).state === 'online', 15_000, 'home link back online')
    // Durable Object storage survived the restart.
    expect(await (await atEdge('/v1/retained/e2e/restart/mode')).text()).toBe('away')
  })
})

describe('the edge link on a network that fails (issue 11)', () => {
  async function proxied(): Promise<FaultProxy> {
    const proxy = await startFaultProxy(edge.port)
    proxies.push(proxy)
    return proxy
  }

  it('answers 202 and stops calling home online while the link is silently dead, and notices within 1.5 times the keep-alive', async () => {
    const proxy = await proxied()
    await linkedHome({ url: proxy.url, keepalive: '2s' })
    proxy.set({ kind: 'blackhole' })
    const lostAt = Date.now()
    const res = await atEdge('/v1/publish/e2e/dead/lamp', { method: 'POST', body: 'ON' })
    expect(res.status).toBe(202)
    expect(await res.json()).toMatchObject({ queued: true })
    expect((await edgeLink()).home).not.toBe('online')
    // 1.5 x 2 s after the last packet; the bound leaves room for a busy machine.
    await waitFor(async () => (await edgeLink()).home === 'offline', 15_000, 'the edge notices the dead link')
    console.log(`edge noticed the dead link ${Date.now() - lostAt} ms after the blackhole (keep-alive 2 s)`)
  }, 60_000)

  it('recovers from a half-open link: once home links again, edge publishes answer 200 within 2 s of the new link', async () => {
    const proxy = await proxied()
    const home = await linkedHome({ url: proxy.url, keepalive: '2s' })
    const sub = await mosquittoSub(home.mqttPort, 'e2e/half/#', ['-V', 'mqttv5', '-q', '1'])
    subs.push(sub)
    proxy.set({ kind: 'blackhole' })
    const lostAt = Date.now()
    await waitFor(async () => (await homeEdge(home)).state !== 'online', 15_000, 'home notices the dead link')
    const noticedAt = Date.now()
    // The route is back; the edge has not heard the old connection close (the proxy keeps it open, silent).
    proxy.set({ kind: 'pass' })
    await waitFor(async () => (await homeEdge(home)).state === 'online', 20_000, 'home links again')
    const relinkedAt = Date.now()
    console.log(`home noticed the dead link after ${noticedAt - lostAt} ms and linked again ${relinkedAt - noticedAt} ms later (keep-alive 2 s)`)
    const results: number[] = []
    for (const body of ['one', 'two', 'three']) {
      const res = await atEdge('/v1/publish/e2e/half/lamp', { method: 'POST', body })
      results.push(res.status)
    }
    expect(results).toEqual([200, 200, 200])
    expect(Date.now() - relinkedAt).toBeLessThan(2000)
    const link = await edgeLink()
    expect(link.home).toBe('online')
    expect(Date.parse(link.since!)).toBeGreaterThanOrEqual(noticedAt - 1000)
    expect(await sub.waitForLines(3, 10_000)).toEqual(['e2e/half/lamp one', 'e2e/half/lamp two', 'e2e/half/lamp three'])
  }, 60_000)
})

/** A device at home: an MQTT 5 client with a persistent session that records each message's payload and stable id. */
async function recordingDevice(
  port: number,
  filter: string,
): Promise<{ seen: { payload: string; id: string | undefined }[]; client: mqtt.MqttClient }> {
  const seen: { payload: string; id: string | undefined }[] = []
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 5,
    clientId: `device-${Math.random().toString(36).slice(2)}`,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 200,
  })
  clients.push(client)
  client.on('message', (_topic, payload, packet) => {
    const raw = packet.properties?.userProperties?.['postbridge-id']
    seen.push({ payload: payload.toString(), id: Array.isArray(raw) ? raw[0] : raw })
  })
  await client.subscribeAsync(filter, { qos: 1 })
  return { seen, client }
}

/** At-least-once, in order: the first copy of each message comes in publish order, and every repeat carries the id of its first copy. */
function expectInOrderWithStableIds(seen: { payload: string; id: string | undefined }[], sent: string[]): void {
  const firstId = new Map<string, string | undefined>()
  const order: string[] = []
  for (const s of seen) {
    if (!firstId.has(s.payload)) {
      firstId.set(s.payload, s.id)
      order.push(s.payload)
    } else {
      expect(s.id, `the repeat of ${s.payload} carries the same id`).toBe(firstId.get(s.payload))
    }
  }
  expect(order).toEqual(sent)
  expect(new Set([...firstId.values()]).size).toBe(sent.length)
  for (const id of firstId.values()) expect(id).toBeTruthy()
}

/** Queues `count` messages at the edge while no home is linked; returns their payloads in publish order. */
async function queueAtEdge(topic: string, count: number): Promise<string[]> {
  const payloads = Array.from({ length: count }, (_, i) => `z-${i}`)
  for (let i = 0; i < count; i += 100) {
    const batch = payloads.slice(i, i + 100).map((payload) => ({ topic, payload }))
    const res = await atEdge('/v1/publish/bulk', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })
    expect(res.status).toBe(202)
  }
  return payloads
}

describe('nothing lost going up, old news is not news (issue 11)', () => {
  it('delivers every device message to the edge webhook exactly once, in order, after a blackhole', async () => {
    const receiver = await startReceiver()
    try {
      const created = await atEdge('/v1/webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: 'e2e/outbox/#', url: receiver.url }),
      })
      expect(created.status).toBe(201)
      const proxy = await startFaultProxy(edge.port)
      proxies.push(proxy)
      const home = await linkedHome({ url: proxy.url, keepalive: '2s' })
      const sent = Array.from({ length: 30 }, (_, i) => `u-${i}`)
      expect(await mosquittoPubLines(home.mqttPort, 'e2e/outbox/door', sent.slice(0, 10))).toBe(0)
      proxy.set({ kind: 'blackhole' })
      expect(await mosquittoPubLines(home.mqttPort, 'e2e/outbox/door', sent.slice(10, 20))).toBe(0)
      await waitFor(async () => (await homeEdge(home)).state !== 'online', 15_000, 'home notices the dead link')
      proxy.set({ kind: 'pass' })
      await waitFor(async () => (await homeEdge(home)).state === 'online', 20_000, 'home links again')
      expect(await mosquittoPubLines(home.mqttPort, 'e2e/outbox/door', sent.slice(20))).toBe(0)
      await waitFor(() => receiver.requests.length >= sent.length, 30_000, 'every webhook')
      // Time for a repeat to show up, if any would.
      await new Promise((r) => setTimeout(r, 1500))
      expect(receiver.bodies().map((b) => b.payload)).toEqual(sent)
      expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(sent.length)
    } finally {
      await receiver.close()
    }
  }, 90_000)

  it('fires the edge webhook once for a retained state, not again on each relink', async () => {
    const receiver = await startReceiver()
    try {
      const created = await atEdge('/v1/webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filter: 'e2e/news/#', url: receiver.url }),
      })
      expect(created.status).toBe(201)
      const proxy = await startFaultProxy(edge.port)
      proxies.push(proxy)
      const home = await linkedHome({ url: proxy.url })
      expect((await mosquittoPub(home.mqttPort, 'e2e/news/door/back/state', 'open', ['-r', '-q', '1', '-V', 'mqttv5'])).code).toBe(0)
      await waitFor(() => receiver.requests.length >= 1, 15_000, 'the first webhook')
      for (let i = 0; i < 3; i++) {
        const before = (await edgeLink()).syncUnchanged ?? 0
        proxy.reset()
        await waitFor(async () => ((await edgeLink()).syncUnchanged ?? 0) > before, 20_000, 'home relinked and synced its state')
      }
      await new Promise((r) => setTimeout(r, 1500))
      expect(receiver.bodies().map((b) => b.payload)).toEqual(['open'])
    } finally {
      await receiver.close()
    }
  }, 90_000)

  it('keeps order through a kill -9 of home in the middle of a drain, and repeats carry the same id', async () => {
    const payloads = await queueAtEdge('e2e/drain/kill', 200)
    // The drain goes through a slow route, so the kill lands in its middle.
    const proxy = await startFaultProxy(edge.port)
    proxies.push(proxy)
    proxy.set({ kind: 'delay', delayMs: 20 })
    const dataDir = tempDataDir()
    const configFile = join(dataDir, 'postbridge.yaml')
    writeFileSync(configFile, 'edge:\n  minReconnectDelay: 200ms\n  maxReconnectDelay: 1s\n')
    const mqttPort = await freePort()
    const env = {
      POSTBRIDGE_DATA_DIR: dataDir,
      POSTBRIDGE_MQTT_PORT: String(mqttPort),
      POSTBRIDGE_MQTT_ALLOW_ANONYMOUS: 'true',
      POSTBRIDGE_EDGE_URL: proxy.url,
      POSTBRIDGE_EDGE_SECRET: EDGE_SECRET,
      POSTBRIDGE_ADMIN_TOKEN: 'test-admin-token-0123456789abcdef',
    }
    // Home first with the link held shut, so the device is subscribed before anything comes down.
    proxy.set({ kind: 'blackhole' })
    let home: RunningPostbridge | undefined = await startCli(env, ['--config', configFile])
    try {
      const device = await recordingDevice(mqttPort, 'e2e/drain/kill')
      proxy.reset()
      proxy.set({ kind: 'delay', delayMs: 20 })
      await waitFor(() => device.seen.length >= 30, 30_000, 'the drain under way')
      home.child.kill('SIGKILL')
      await home.exited
      expect(device.seen.length).toBeLessThan(payloads.length)
      home = await startCli(env, ['--config', configFile])
      proxy.set({ kind: 'pass' })
      await waitFor(() => new Set(device.seen.map((s) => s.payload)).size >= payloads.length, 60_000, 'every message at the device')
      await waitFor(async () => (await edgeLink()).queued === 0, 15_000, 'the edge queue drained')
      expectInOrderWithStableIds(device.seen, payloads)
    } finally {
      home?.child.kill('SIGKILL')
      await home?.exited
      const { rmSync } = await import('node:fs')
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 120_000)

  it('keeps order through a Worker restart in the middle of a drain, and repeats carry the same id', async () => {
    const payloads = await queueAtEdge('e2e/drain/restart', 200)
    const proxy = await startFaultProxy(edge.port)
    proxies.push(proxy)
    proxy.set({ kind: 'blackhole' })
    const home = await linkedHome({ url: proxy.url, waitOnline: false })
    const device = await recordingDevice(home.mqttPort, 'e2e/drain/restart')
    proxy.reset()
    proxy.set({ kind: 'delay', delayMs: 20 })
    await waitFor(() => device.seen.length >= 30, 30_000, 'the drain under way')
    const port = edge.port
    await edge.stop()
    expect(device.seen.length).toBeLessThan(payloads.length)
    edge = await startWranglerDev({ bundleDir, persistTo: state.dir, port, vars: EDGE_VARS })
    proxy.set({ kind: 'pass' })
    await waitFor(() => new Set(device.seen.map((s) => s.payload)).size >= payloads.length, 60_000, 'every message at the device')
    await waitFor(async () => (await edgeLink()).queued === 0, 15_000, 'the edge queue drained')
    expectInOrderWithStableIds(device.seen, payloads)
  }, 120_000)
})
