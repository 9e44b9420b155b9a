/** The home node end to end: real broker, real HTTP, mqtt.js and Debian's mosquitto clients. */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { mosquittoPub, mosquittoSub } from './fixtures/mosquitto.js'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'

let home: TestHome
const clients: mqtt.MqttClient[] = []
const cleanups: (() => void)[] = []

afterEach(async () => {
  for (const c of cleanups.splice(0)) c()
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  await home?.stop()
})

async function device(protocolVersion: 4 | 5, clientId = `dev-${protocolVersion}-${Math.random().toString(36).slice(2)}`) {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { protocolVersion, clientId, reconnectPeriod: 0 })
  clients.push(c)
  return c
}

describe('REST -> device', () => {
  it('delivers POST /v1/publish to an MQTT 3.1.1 device (mosquitto_sub) byte for byte', async () => {
    home = await startTestHome()
    const sub = await mosquittoSub(home.mqttPort, 'home/relay/1/set', ['-V', 'mqttv311'])
    cleanups.push(sub.stop)
    const res = await home.api('/v1/publish/home/relay/1/set', { method: 'POST', body: 'ON' })
    expect(res.status).toBe(200)
    expect(await sub.waitForLines(1)).toEqual(['home/relay/1/set ON'])
  })

  it('delivers MQTT 5 properties from the JSON envelope to an MQTT 5 device (mqtt.js)', async () => {
    home = await startTestHome()
    const dev = await device(5)
    await dev.subscribeAsync('lamp/set', { qos: 1 })
    const got = new Promise<mqtt.IPublishPacket>((resolve) => dev.on('message', (_t, _p, packet) => resolve(packet)))
    const res = await home.api('/v1/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: 'lamp/set',
        payload: { on: true },
        encoding: 'json',
        qos: 1,
        properties: { userProperties: { origin: 'test' }, correlationData: 'aGk=' },
      }),
    })
    expect(res.status).toBe(200)
    const packet = await got
    expect(packet.payload.toString()).toBe('{"on":true}')
    expect(packet.properties?.contentType).toBe('application/json')
    expect(packet.properties?.userProperties).toEqual({ origin: 'test' })
    expect(packet.properties?.correlationData?.toString()).toBe('hi')
  })
})

describe('device -> HTTP', () => {
  it('serves a retained state published with mosquitto_pub -r from GET /v1/retained', async () => {
    home = await startTestHome()
    const pub = await mosquittoPub(home.mqttPort, 'home/relay/1/state', 'OFF', ['-r', '-q', '1'])
    expect(pub.code).toBe(0)
    const res = await waitFor(async () => {
      const r = await home.api('/v1/retained/home/relay/1/state')
      return r.status === 200 ? r : undefined
    })
    expect(await res!.text()).toBe('OFF')
    const list = (await (await home.api('/v1/retained?filter=home/%23')).json()) as { messages: { topic: string }[] }
    expect(list.messages.map((m) => m.topic)).toEqual(['home/relay/1/state'])
  })

  it('streams a device publish to an SSE subscriber', async () => {
    home = await startTestHome()
    const controller = new AbortController()
    cleanups.push(() => controller.abort())
    const res = await home.api('/v1/subscribe?filter=sensors/%2B/temp', { signal: controller.signal })
    expect(res.status).toBe(200)
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    while (!text.includes('event: ready')) text += (await reader.read()).value ?? ''
    expect((await mosquittoPub(home.mqttPort, 'sensors/kitchen/temp', '21.5')).code).toBe(0)
    while (!text.includes('event: message')) text += (await reader.read()).value ?? ''
    while (!text.slice(text.indexOf('event: message')).includes('\n\n')) text += (await reader.read()).value ?? ''
    const data = /event: message\n(?:id: .*\n)?data: (.*)\n/.exec(text)?.[1]
    expect(JSON.parse(data!)).toMatchObject({ topic: 'sensors/kitchen/temp', payload: '21.5' })
  })
})

describe('request/reply', () => {
  it('returns the reply of an MQTT 5 responder (responseTopic + correlationData)', async () => {
    home = await startTestHome()
    const dev = await device(5)
    await dev.subscribeAsync('dev/5/cmd', { qos: 1 })
    dev.on('message', (_t, payload, packet) => {
      dev.publish(packet.properties!.responseTopic!, `echo:${payload.toString()}`, {
        qos: 1,
        properties: { correlationData: packet.properties!.correlationData! },
      })
    })
    const res = await home.api('/v1/request/dev/5/cmd?timeout=5000', { method: 'POST', body: 'ping' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('echo:ping')
  })

  it('returns the reply of an MQTT 3.1.1 responder on {topic}/reply', async () => {
    home = await startTestHome()
    const dev = await device(4)
    await dev.subscribeAsync('dev/3/cmd', { qos: 1 })
    dev.on('message', (_t, payload) => dev.publish('dev/3/cmd/reply', `ok:${payload.toString()}`, { qos: 1 }))
    const res = await home.api('/v1/request/dev/3/cmd?timeout=5000', { method: 'POST', body: 'go', headers: { accept: 'application/json' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ topic: 'dev/3/cmd/reply', payload: 'ok:go' })
  })

  it('answers 504 when the device stays silent', async () => {
    home = await startTestHome()
    const res = await home.api('/v1/request/nobody/home?timeout=200', { method: 'POST', body: 'x' })
    expect(res.status).toBe(504)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('bad input over real HTTP', () => {
  it.each([
    ['/v1/publish/a/%2B', 400],
    ['/v1/publish/%24SYS/x', 400],
    ['/v1/publish/a?qos=7', 400],
  ])('%s -> %d and nothing reaches a # subscriber', async (path, status) => {
    home = await startTestHome()
    const dev = await device(4)
    await dev.subscribeAsync('#', { qos: 1 })
    const seen: string[] = []
    dev.on('message', (t) => seen.push(t))
    const res = await home.api(path, { method: 'POST', body: 'x' })
    expect(res.status).toBe(status)
    // A control message published after the refused one proves the refused one would have arrived by now.
    await home.api('/v1/publish/control', { method: 'POST', body: 'x' })
    await waitFor(() => seen.includes('control'))
    expect(seen).toEqual(['control'])
  })

  it('refuses a body over the limit with 413', async () => {
    home = await startTestHome({ http: { maxPayloadBytes: 1024 } })
    const res = await home.api('/v1/publish/a', { method: 'POST', body: new Uint8Array(2048) })
    expect(res.status).toBe(413)
  })

  it('refuses a wrong token with 401 and a token outside its scope with 403', async () => {
    home = await startTestHome()
    expect((await home.api('/v1/publish/a', { method: 'POST', body: 'x', token: 'pb_aaaaaaaaaaaa_' + 'b'.repeat(43) })).status).toBe(401)
    const created = (await (
      await home.api('/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'p', publish: ['ok/#'] }),
      })
    ).json()) as { token: string }
    expect((await home.api('/v1/publish/ok/1', { method: 'POST', body: 'x', token: created.token })).status).toBe(200)
    expect((await home.api('/v1/publish/other', { method: 'POST', body: 'x', token: created.token })).status).toBe(403)
  })
})

describe('the WebSocket listener', () => {
  it('accepts MQTT over WebSocket at /mqtt on the HTTP port', async () => {
    home = await startTestHome()
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${home.httpPort}/mqtt`, { reconnectPeriod: 0, protocolVersion: 5 })
    clients.push(ws)
    await ws.subscribeAsync('ws/test', { qos: 1 })
    const got = new Promise<string>((resolve) => ws.on('message', (_t, p) => resolve(p.toString())))
    await home.api('/v1/publish/ws/test', { method: 'POST', body: 'hello' })
    expect(await got).toBe('hello')
  })
})

describe('/metrics', () => {
  it('counts connected clients and messages', async () => {
    home = await startTestHome()
    await device(4)
    await home.api('/v1/publish/a', { method: 'POST', body: 'x' })
    const text = await (await home.api('/metrics')).text()
    expect(text).toMatch(/postbridge_mqtt_clients_connected [1-9]/)
    expect(text).toContain('postbridge_http_requests_total{route="/v1/publish/:topic{.+}",method="POST",status="200"} 1')
  })
})

describe('/metrics with webhooks', () => {
  it('includes the webhook dispatcher counters', async () => {
    home = await startTestHome()
    const text = await (await home.api('/metrics')).text()
    expect(text).toMatch(/^postbridge_webhook\w* /m)
  })
})
