/**
 * BROKER_URL end to end (issue 5): the Worker bundle under `wrangler dev` as a direct MQTT 5 client (mqtt.js over
 * `cloudflare:sockets`) of Debian's mosquitto, with no home node at all. workerd under wrangler dev may connect() to
 * 127.0.0.1; a deployed Worker may not (Cloudflare refuses private addresses).
 */
import mqtt from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startMosquitto, type MosquittoBroker } from './fixtures/mosquitto-broker.js'
import { mosquittoPub, mosquittoSub, type SubProcess } from './fixtures/mosquitto.js'
import { buildWorker, EDGE_ADMIN_TOKEN, startWranglerDev, tempPersistDir, type WranglerDev } from './fixtures/wrangler-dev.js'
import { tempDir } from './fixtures/temp-dir.js'

let broker: MosquittoBroker
let state: ReturnType<typeof tempPersistDir>
let edge: WranglerDev
const subs: SubProcess[] = []
const clients: mqtt.MqttClient[] = []

beforeAll(async () => {
  broker = await startMosquitto()
  const bundleDir = await buildWorker(tempDir('postbridge-edge-build-'))
  state = tempPersistDir()
  edge = await startWranglerDev({ bundleDir, persistTo: state.dir, vars: { BROKER_URL: `mqtt://127.0.0.1:${broker.port}` } })
}, 120_000)

afterEach(async () => {
  for (const s of subs.splice(0)) s.stop()
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
})

afterAll(async () => {
  await edge?.stop()
  state?.remove()
  await broker?.stop()
})

function atEdge(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('authorization', `Bearer ${EDGE_ADMIN_TOKEN}`)
  return fetch(`${edge.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(15_000) })
}

async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

type SseEvent = { event: string; data: string }

/** Reads SSE events until `until` says enough; returns them all. */
async function readEvents(res: Response, until: (events: SseEvent[]) => boolean, timeoutMs = 15_000): Promise<SseEvent[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const events: SseEvent[] = []
  let buffer = ''
  const deadline = Date.now() + timeoutMs
  try {
    while (!until(events)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`SSE: timed out with ${JSON.stringify(events)}`)
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`SSE: timed out with ${JSON.stringify(events)}`)), left)),
      ])
      if (chunk.done) break
      buffer += chunk.value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event && data !== undefined) events.push({ event, data })
      }
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return events
}

describe('the Worker with BROKER_URL, against mosquitto', () => {
  it('reports the broker connection on /v1/health, without credentials', async () => {
    const res = await atEdge('/v1/health')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { status: string; mode: string; broker: { kind: string; connected: boolean; detail: { url: string } } }
    expect(body).toMatchObject({
      status: 'ok',
      mode: 'broker-url',
      broker: { kind: 'external', connected: true, detail: { url: `mqtt://127.0.0.1:${broker.port}` } },
    })
  })

  it('delivers POST /v1/publish to a mosquitto_sub subscriber, answering 200 after the PUBACK', async () => {
    const sub = await mosquittoSub(broker.port, 'e2e/lamp/#', ['-V', 'mqttv5'])
    subs.push(sub)
    const res = await atEdge('/v1/publish/e2e/lamp/set?qos=1', { method: 'POST', body: 'on' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: expect.any(String) })
    expect(await sub.waitForLines(1, 10_000)).toEqual(['e2e/lamp/set on'])
  })

  it('streams what mosquitto_pub publishes to a GET /v1/subscribe at the Worker', async () => {
    const res = await atEdge('/v1/subscribe?filter=e2e/door/%23')
    expect(res.status).toBe(200)
    const events = readEvents(res, (e) => e.some((x) => x.event === 'message'))
    // The 'ready' event comes after the subscription is in place; publish once the stream has started.
    await new Promise((r) => setTimeout(r, 300))
    const pub = await mosquittoPub(broker.port, 'e2e/door/front', 'open', ['-q', '1', '-V', 'mqttv5'])
    expect(pub.code).toBe(0)
    const got = await events
    expect(got[0]?.event).toBe('ready')
    const message = JSON.parse(got.find((e) => e.event === 'message')!.data) as { topic: string; payload: string; retain: boolean }
    expect(message).toMatchObject({ topic: 'e2e/door/front', payload: 'open', retain: false })
  })

  it('answers POST /v1/request with the reply of an MQTT 5 device on mosquitto', async () => {
    const device = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })
    clients.push(device)
    await device.subscribeAsync('e2e/thermostat/get', { qos: 1 })
    device.on('message', (_topic, _payload, packet) => {
      const { responseTopic, correlationData } = packet.properties ?? {}
      if (responseTopic) void device.publishAsync(responseTopic, '21.5', { qos: 1, properties: { correlationData } })
    })
    const res = await atEdge('/v1/request/e2e/thermostat/get?timeout=10000', { method: 'POST', body: 'now?' })
    expect([res.status, await res.text()]).toEqual([200, '21.5'])
  })

  it('answers GET /v1/retained from what mosquitto retains, and clears it with DELETE', async () => {
    expect((await mosquittoPub(broker.port, 'e2e/state/porch', 'lit', ['-r', '-q', '1', '-V', 'mqttv5'])).code).toBe(0)
    const seen = await waitFor(
      async () => {
        const res = await atEdge('/v1/retained/e2e/state/porch')
        return res.status === 200 ? res.text() : undefined
      },
      10_000,
      'the retained message at the Worker',
    )
    expect(seen).toBe('lit')

    const own = await atEdge('/v1/publish/e2e/state/hall?retain=true', { method: 'POST', body: 'dark' })
    expect(own.status).toBe(200)
    const hall = await atEdge('/v1/retained/e2e/state/hall')
    expect([hall.status, await hall.text()]).toEqual([200, 'dark'])

    // mosquitto itself now retains it: a fresh subscriber gets it at once.
    const sub = await mosquittoSub(broker.port, 'e2e/state/hall', ['-V', 'mqttv5'])
    subs.push(sub)
    expect(await sub.waitForLines(1, 5000)).toEqual(['e2e/state/hall dark'])

    expect((await atEdge('/v1/retained/e2e/state/porch', { method: 'DELETE' })).status).toBeLessThan(300)
    await waitFor(async () => (await atEdge('/v1/retained/e2e/state/porch')).status === 404, 5000, 'the cleared retained message')
  })

  // Last: it restarts the broker the other tests share.
  it('answers 503 while the broker is down and reconnects by itself when it is back', async () => {
    const port = broker.port
    await broker.stop()
    await waitFor(async () => (await fetch(`${edge.url}/v1/health`)).status === 503, 10_000, 'health to say down')
    const refused = await atEdge('/v1/publish/e2e/lamp/set', { method: 'POST', body: 'off' })
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as { detail: string }).detail).toContain(`the broker at mqtt://127.0.0.1:${port} is not connected`)

    broker = await startMosquitto({ port })
    await waitFor(async () => (await fetch(`${edge.url}/v1/health`)).status === 200, 15_000, 'health to say ok again')
    const sub = await mosquittoSub(broker.port, 'e2e/lamp/#', ['-V', 'mqttv5'])
    subs.push(sub)
    expect((await atEdge('/v1/publish/e2e/lamp/set', { method: 'POST', body: 'back' })).status).toBe(200)
    expect(await sub.waitForLines(1, 10_000)).toEqual(['e2e/lamp/set back'])
    // The new mosquitto has no persistence: the Worker's retained view starts over from what it replays (nothing).
    expect((await atEdge('/v1/retained/e2e/state/hall')).status).toBe(404)
  })
})
