import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { Harness, bytes, collect, nextMessage, sleep, text, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

describe('MQTT pub/sub', () => {
  it('carries messages between MQTT 3.1.1 and MQTT 5 mqtt.js clients at QoS 0, 1 and 2', async () => {
    const broker = await h.broker()
    const v5 = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await v5.subscribeAsync('from/v4', { qos: 2 })
    await v4.subscribeAsync('from/v5', { qos: 2 })
    const to5 = collect(v5)
    const to4 = collect(v4)
    for (const qos of [0, 1, 2] as const) {
      await v4.publishAsync('from/v4', `q${qos}`, { qos })
      await v5.publishAsync('from/v5', `q${qos}`, { qos })
    }
    await waitFor(() => to5.length === 3 && to4.length === 3, 5000, 'all messages')
    expect(to5.map((m) => [m.payload, m.packet.qos])).toEqual([
      ['q0', 0],
      ['q1', 1],
      ['q2', 2],
    ])
    expect(to4.map((m) => [m.payload, m.packet.qos])).toEqual([
      ['q0', 0],
      ['q1', 1],
      ['q2', 2],
    ])
  })

  it('carries messages between mosquitto_pub/mosquitto_sub (3.1.1 and 5) and mqtt.js', async () => {
    const broker = await h.broker()
    const port = String(broker.tcpPort)
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('mosq/#', { qos: 1 })
    const seen = collect(watcher)

    const pub5 = await h.mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv5', '-q', '1', '-t', 'mosq/v5', '-m', 'hello5'])
    const pub4 = await h.mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-V', 'mqttv311', '-q', '2', '-t', 'mosq/v4', '-m', 'hello4'])
    expect(pub5).toMatchObject({ code: 0 })
    expect(pub4).toMatchObject({ code: 0 })
    await waitFor(() => seen.length === 2, 5000, 'mosquitto messages')
    expect(seen.map((m) => m.payload).sort()).toEqual(['hello4', 'hello5'])

    // And the other way round: mosquitto_sub (v5 and 3.1.1) receives what mqtt.js publishes.
    const subs = (['mqttv5', 'mqttv311'] as const).map((v) =>
      h.mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', port, '-V', v, '-q', '1', '-t', `out/${v}`, '-C', '1', '-W', '8']),
    )
    await sleep(500) // let both subscriptions land
    await watcher.publishAsync('out/mqttv5', 'to-sub-5', { qos: 1 })
    await watcher.publishAsync('out/mqttv311', 'to-sub-4', { qos: 1 })
    const [sub5, sub4] = await Promise.all(subs)
    expect(sub5!.stdout.trim()).toBe('to-sub-5')
    expect(sub4!.stdout.trim()).toBe('to-sub-4')
  })

  it('passes MQTT 5 properties from publisher to MQTT 5 subscriber (mqtt.js and mosquitto_pub)', async () => {
    const broker = await h.broker()
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('rpc/#', { qos: 1 })
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })

    const fromJs = nextMessage(sub, 'rpc/js')
    await pub.publishAsync('rpc/js', '{"on":true}', {
      qos: 1,
      properties: {
        responseTopic: 'rpc/reply',
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { origin: 'test', tags: ['a', 'b'] },
        contentType: 'application/json',
        messageExpiryInterval: 60,
        payloadFormatIndicator: true,
      },
    })
    const js = (await fromJs).packet.properties
    expect(js).toMatchObject({
      responseTopic: 'rpc/reply',
      userProperties: { origin: 'test', tags: ['a', 'b'] },
      contentType: 'application/json',
      payloadFormatIndicator: true,
    })
    expect([...(js?.correlationData ?? [])]).toEqual([1, 2, 3])
    expect(js?.messageExpiryInterval).toBeGreaterThan(55)

    const fromMosquitto = nextMessage(sub, 'rpc/mosq')
    const result = await h.mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.tcpPort),
      '-V',
      'mqttv5',
      '-q',
      '1',
      '-t',
      'rpc/mosq',
      '-m',
      'x',
      '-D',
      'publish',
      'response-topic',
      'rpc/back',
      '-D',
      'publish',
      'correlation-data',
      'abc',
      '-D',
      'publish',
      'content-type',
      'text/plain',
      '-D',
      'publish',
      'user-property',
      'k',
      'v',
    ])
    expect(result.code).toBe(0)
    const m = (await fromMosquitto).packet.properties
    expect(m).toMatchObject({ responseTopic: 'rpc/back', contentType: 'text/plain', userProperties: { k: 'v' } })
    expect(m?.correlationData?.toString()).toBe('abc')
  })

  it('delivers at the lower of the published and the granted QoS, wildcards included [MQTT-3.8.4-6] [MQTT-3.8.4-8]', async () => {
    const broker = await h.broker()
    const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await sub.subscribeAsync('q/+', { qos: 1 })
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const got = nextMessage(sub, 'q/x')
    await pub.publishAsync('q/x', 'two', { qos: 2 })
    expect((await got).packet.qos).toBe(1)

    await pub.publishAsync('r/x', 'retained-1', { qos: 1, retain: true })
    const sub0 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    const retained = nextMessage(sub0, 'r/x')
    await sub0.subscribeAsync('r/#', { qos: 0 })
    expect((await retained).packet).toMatchObject({ qos: 0, retain: true })
  })

  it('keeps retained messages for later subscribers and lists them through Bus.retained', async () => {
    const broker = await h.broker()
    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await pub.publishAsync('home/door/state', 'open', { qos: 1, retain: true, properties: { contentType: 'text/plain' } })
    await pub.publishAsync('home/door/battery', '3.7', { qos: 0, retain: true })
    await pub.publishAsync('home/light/state', 'on', { qos: 1, retain: true })
    await pub.publishAsync('home/other', 'not retained', { qos: 1 })

    const late = await h.client(broker.tcpPort, { protocolVersion: 4 })
    const seen = collect(late)
    await late.subscribeAsync('home/door/#', { qos: 1 })
    await waitFor(() => seen.length === 2, 5000, 'retained messages')
    expect(seen.every((m) => m.packet.retain)).toBe(true)

    const listed = await broker.bus.retained('home/#')
    expect(listed.map((m) => [m.topic, text(m), m.retain])).toEqual([
      ['home/door/battery', '3.7', true],
      ['home/door/state', 'open', true],
      ['home/light/state', 'on', true],
    ])
    expect(listed[1]!.properties).toEqual({ contentType: 'text/plain' })
    expect((await broker.bus.retained('home/door/state')).map(text)).toEqual(['open'])

    await broker.bus.clearRetained('home/door/state')
    expect((await broker.bus.retained('home/door/+')).map((m) => m.topic)).toEqual(['home/door/battery'])
  })

  it('keeps the queue and retained messages of a persistent session across close and restart', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    const device = await h.client(broker.tcpPort, {
      protocolVersion: 5,
      clientId: 'sensor-1',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    })
    await device.subscribeAsync('cmd/sensor-1/#', { qos: 1 })
    const legacy = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'legacy-1', clean: false })
    await legacy.subscribeAsync('cmd/legacy-1', { qos: 1 })
    await device.endAsync()
    await legacy.endAsync()

    await broker.bus.publish({
      topic: 'cmd/sensor-1/set',
      payload: bytes('on'),
      qos: 1,
      retain: false,
      properties: { correlationData: bytes('c1'), responseTopic: 'rsp/1', userProperties: { via: 'http' } },
    })
    await broker.bus.publish({ topic: 'cmd/legacy-1', payload: bytes('reboot'), qos: 1, retain: false })
    await broker.bus.publish({ topic: 'state/kept', payload: bytes('yes'), qos: 1, retain: true })
    await broker.close()

    broker = await h.broker({ dataDir })
    const back = h.unconnected(broker.tcpPort, {
      protocolVersion: 5,
      clientId: 'sensor-1',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    })
    const queued = nextMessage(back, 'cmd/sensor-1/set')
    back.connect()
    const m = await queued
    expect(m.payload).toBe('on')
    // The offline queue keeps MQTT 5 properties (aedes-persistence-level alone drops them).
    expect(m.packet.properties).toMatchObject({ responseTopic: 'rsp/1', userProperties: { via: 'http' } })
    expect(m.packet.properties?.correlationData?.toString()).toBe('c1')
    expect(m.packet.retain).toBe(false)

    const legacyBack = h.unconnected(broker.tcpPort, { protocolVersion: 4, clientId: 'legacy-1', clean: false })
    const legacyQueued = nextMessage(legacyBack, 'cmd/legacy-1')
    legacyBack.connect()
    expect((await legacyQueued).payload).toBe('reboot')

    expect((await broker.bus.retained('state/#')).map(text)).toEqual(['yes'])
  })

  it('discards the queue of an MQTT 5 session whose expiry interval ran out [MQTT-4.1.0-2]', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, {
      protocolVersion: 5,
      clientId: 'short-lived',
      clean: false,
      properties: { sessionExpiryInterval: 1 },
    })
    await device.subscribeAsync('exp/#', { qos: 1 })
    await device.endAsync()
    await broker.bus.publish({ topic: 'exp/1', payload: bytes('stale'), qos: 1, retain: false })
    await sleep(1600)
    const back = h.unconnected(broker.tcpPort, {
      protocolVersion: 5,
      clientId: 'short-lived',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    })
    const got = collect(back)
    const connack = new Promise<boolean>((resolve) => back.once('connect', (p) => resolve(p.sessionPresent)))
    back.connect()
    expect(await connack).toBe(false)
    await sleep(300)
    expect(got).toEqual([])
  })

  it('queues a retained publish for an offline session without the RETAIN flag [MQTT-3.3.1-9]', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'rf', clean: false })
    await device.subscribeAsync('rf/#', { qos: 1 })
    await device.endAsync()
    await broker.bus.publish({ topic: 'rf/state', payload: bytes('on'), qos: 1, retain: true })
    const back = h.unconnected(broker.tcpPort, { protocolVersion: 4, clientId: 'rf', clean: false })
    const got = nextMessage(back, 'rf/state')
    back.connect()
    expect((await got).packet.retain).toBe(false)
  })

  it('publishes Last Will messages when a client drops without DISCONNECT', async () => {
    const broker = await h.broker()
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('status/+', { qos: 1 })
    const device = await h.client(broker.tcpPort, {
      protocolVersion: 4,
      keepalive: 1,
      will: { topic: 'status/door', payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    const will = nextMessage(watcher, 'status/door')
    device.stream.destroy()
    expect((await will).payload).toBe('offline')
    expect((await broker.bus.retained('status/door')).map(text)).toEqual(['offline'])
  })

  it('serves MQTT over a WebSocket handed over by an HTTP server', async () => {
    const { createServer } = await import('node:http')
    const { WebSocketServer } = await import('ws')
    const broker = await h.broker()
    const wss = new WebSocketServer({ noServer: true })
    const server = createServer()
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/mqtt') return socket.destroy()
      wss.handleUpgrade(req, socket, head, (ws) => broker.handleWebSocket(ws, req))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    h.onCleanup(() => new Promise((r) => server.close(r)))
    h.onCleanup(() => wss.close())
    const port = (server.address() as { port: number }).port
    const ws = await h.client(0, { protocolVersion: 5, protocol: 'ws', host: '127.0.0.1', port, path: '/mqtt' })
    const tcp = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await tcp.subscribeAsync('ws/test')
    const got = nextMessage(tcp, 'ws/test')
    await ws.publishAsync('ws/test', 'over websocket', { qos: 1 })
    expect((await got).payload).toBe('over websocket')
  })
})

describe('Bus over aedes', () => {
  it('delivers device messages and Bus publishes to Bus subscribers, once per message', async () => {
    const broker = await h.broker()
    const got: Message[] = []
    const unsubscribe = await broker.bus.subscribe(['dev/#', 'dev/+/state'], (m) => got.push(m))
    const device = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await device.publishAsync('dev/1/state', 'open', { qos: 1, properties: { correlationData: Buffer.from('k'), userProperties: { a: '1' } } })
    await broker.bus.publish({ topic: 'dev/2/set', payload: bytes('close'), qos: 0, retain: false })
    await waitFor(() => got.length === 2, 5000, 'bus messages')
    expect(got.map((m) => [m.topic, text(m)])).toEqual([
      ['dev/1/state', 'open'],
      ['dev/2/set', 'close'],
    ])
    expect(got[0]!.payload).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(got[0]!.payload)).toBe(false)
    expect(got[0]!.properties?.userProperties).toEqual({ a: '1' })
    expect(Buffer.isBuffer(got[0]!.properties?.correlationData)).toBe(false)
    expect([...got[0]!.properties!.correlationData!]).toEqual([107])

    await unsubscribe()
    await broker.bus.publish({ topic: 'dev/3/set', payload: bytes('x'), qos: 0, retain: false })
    await sleep(100)
    expect(got).toHaveLength(2)
  })

  it('delivers Bus publishes with properties to MQTT 5 devices and bare to MQTT 3.1.1 devices', async () => {
    const broker = await h.broker()
    const v5 = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await v5.subscribeAsync('relay/1/set', { qos: 1 })
    await v4.subscribeAsync('relay/1/set', { qos: 1 })
    const at5 = nextMessage(v5)
    const at4 = nextMessage(v4)
    await broker.bus.publish({
      topic: 'relay/1/set',
      payload: bytes('ON'),
      qos: 1,
      retain: false,
      properties: { responseTopic: 'relay/1/reply', correlationData: bytes('req-7'), contentType: 'text/plain', userProperties: { from: 'api' } },
    })
    const m5 = await at5
    expect(m5.payload).toBe('ON')
    expect(m5.packet.properties).toMatchObject({ responseTopic: 'relay/1/reply', contentType: 'text/plain', userProperties: { from: 'api' } })
    expect(m5.packet.properties?.correlationData?.toString()).toBe('req-7')
    expect((await at4).payload).toBe('ON')
  })

  it('does not hand $SYS messages to Bus subscribers of # [MQTT-4.7.2-1]', async () => {
    const broker = await h.broker()
    const got: Message[] = []
    await broker.bus.subscribe(['#', '+/+/+/+'], (m) => got.push(m))
    const c = await h.client(broker.tcpPort, { protocolVersion: 4 }) // aedes publishes $SYS/<id>/new/clients
    await c.subscribeAsync('x') // and $SYS/<id>/new/subscribes
    await c.publishAsync('plain/topic', 'p', { qos: 1 })
    await waitFor(() => got.length >= 1)
    await sleep(100)
    expect(got.map((m) => m.topic)).toEqual(['plain/topic'])
  })

  it('refuses to publish a topic with wildcards or a $ topic, and invalid filters', async () => {
    const broker = await h.broker()
    await expect(broker.bus.publish({ topic: 'a/#', payload: bytes(''), qos: 0, retain: false })).rejects.toThrow(/wildcard/)
    await expect(broker.bus.publish({ topic: '$SYS/x', payload: bytes(''), qos: 0, retain: false })).rejects.toThrow(/\$/)
    await expect(broker.bus.subscribe(['a/#/b'], () => {})).rejects.toThrow()
    await expect(broker.bus.retained('a/b#')).rejects.toThrow()
  })

  it('reports embedded status with client and message counts, and closes cleanly', async () => {
    const broker = await h.broker()
    const sub = await h.client(broker.tcpPort, {
      protocolVersion: 4,
      will: { topic: 'wills/sub', payload: Buffer.from('gone'), qos: 1, retain: true },
    })
    await sub.subscribeAsync('s/#', { qos: 0 })
    const got = collect(sub)
    await broker.bus.publish({ topic: 's/1', payload: bytes('a'), qos: 0, retain: false })
    await waitFor(() => got.length === 1)
    const status = broker.bus.status()
    expect(status).toMatchObject({ kind: 'embedded', connected: true, clients: 1 })
    expect(status.messagesIn).toBeGreaterThanOrEqual(1)
    expect(status.messagesOut).toBeGreaterThanOrEqual(1)
    await broker.close()
    expect(broker.bus.status()).toMatchObject({ connected: false, clients: 0 })
    await broker.close() // idempotent
    await expect(broker.bus.publish({ topic: 's/2', payload: bytes('late'), qos: 1, retain: false })).rejects.toThrow(/closed/)
    // The will published while closing was stored and its record deleted before the db closed.
    expect(h.log.lines.filter((l) => l.level === 'error')).toEqual([])
  })

  it('forwards QoS 1 messages one client sent back to back in order to a persistent session [MQTT-4.6.0-6]', async () => {
    const broker = await h.broker()
    const device = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'in-order', clean: false })
    await device.subscribeAsync('ord/#', { qos: 1 })
    const got = collect(device)
    const pub = await h.client(broker.tcpPort, { protocolVersion: 4 })
    // Not waiting for PUBACKs: many PUBLISH packets reach the broker in one read.
    await Promise.all(Array.from({ length: 200 }, (_, i) => pub.publishAsync('ord/t', String(i), { qos: 1 })))
    await waitFor(() => got.length >= 200, 5000, '200 messages')
    await sleep(200)
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)))
  })

  it('resolves a QoS 1 publish only after it is in the offline session queue', async () => {
    const dataDir = await h.tempDir()
    let broker = await h.broker({ dataDir })
    const device = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'q-dev', clean: false })
    await device.subscribeAsync('q/dev', { qos: 1 })
    await device.endAsync()
    for (let i = 0; i < 20; i++) await broker.bus.publish({ topic: 'q/dev', payload: bytes(String(i)), qos: 1, retain: false })
    await broker.close()
    broker = await h.broker({ dataDir })
    const back = h.unconnected(broker.tcpPort, { protocolVersion: 4, clientId: 'q-dev', clean: false })
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length === 20, 5000, '20 queued messages')
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)))
  })
})
