import { describe, expect, it } from 'vitest'
import { RecordingLogger } from '../testing/recording-logger.js'
import { MqttClientBus, type ClientRequest, type MqttClientLike, type WirePublish } from './mqtt-client-bus.js'

/** A client that connects when told to and records what it was asked: pure policy, no broker. */
class FakeClient implements MqttClientLike {
  connected = false
  readonly subscriptions: { filter: string; options: object }[] = []
  private readonly listeners = new Map<string, ((...args: never[]) => void)[]>()
  constructor(readonly request: ClientRequest) {}
  on(event: string, listener: (...args: never[]) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener])
    return this
  }
  once(event: string, listener: () => void) {
    const wrapped = () => {
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((l) => l !== wrapped),
      )
      listener()
    }
    return this.on(event, wrapped)
  }
  emit(event: string, ...args: unknown[]) {
    for (const l of [...(this.listeners.get(event) ?? [])]) (l as (...a: unknown[]) => void)(...args)
  }
  connect() {
    this.connected = true
    this.emit('connect')
  }
  drop() {
    this.connected = false
    this.emit('offline')
  }
  deliver(packet: WirePublish) {
    this.emit('message', packet.topic, packet.payload, packet)
  }
  async subscribeAsync(filter: string, options: object) {
    this.subscriptions.push({ filter, options })
  }
  async publishAsync() {}
  async endAsync() {}
}

function fakeBus() {
  const clients: Record<string, FakeClient> = {}
  const log = new RecordingLogger()
  const bus = new MqttClientBus({
    createClient: (request) => (clients[request.role] = new FakeClient(request)),
    shownUrl: 'mqtt://broker.test:1883',
    clientIdPrefix: 'pb',
    log,
    newId: () => 'id',
    wireBytes: (b) => b,
    connectTimeoutMs: 50,
  })
  void bus.start()
  return { bus, log, live: clients.live!, state: clients.state! }
}

const retained = (topic: string, payload: string): WirePublish => ({ topic, payload: new TextEncoder().encode(payload), qos: 1, retain: true })

describe('the MQTT-client bus (external broker and BROKER_URL)', () => {
  it('reports connected only while both the live and the state connection are up', () => {
    const { bus, live, state } = fakeBus()
    live.connect()
    expect(bus.status().connected).toBe(false)
    state.connect()
    expect(bus.status().connected).toBe(true)
    state.drop()
    expect(bus.status().connected).toBe(false)
    expect(bus.status().detail).toMatchObject({ stateConnected: false })
  })

  it('asks for no retained replay on the live connection and for it, as published, on the state connection [MQTT-3.8.3-4]', async () => {
    const { bus, live, state } = fakeBus()
    live.connect()
    state.connect()
    await bus.start()
    expect(live.subscriptions).toEqual([{ filter: '#', options: { qos: 2, rap: true, rh: 2 } }])
    expect(state.subscriptions).toEqual([{ filter: '#', options: { qos: 1, rap: true } }])
    expect(live.request.resubscribe).toBe(true)
    expect(state.request.resubscribe).toBe(false)
  })

  it('starts the retained view over from the replay on every state reconnect', async () => {
    const { bus, live, state } = fakeBus()
    live.connect()
    state.connect()
    state.deliver(retained('a', '1'))
    await bus.start()
    expect((await bus.retained('#')).map((m) => m.topic)).toEqual(['a'])
    state.drop()
    state.connect()
    state.deliver(retained('b', '2'))
    expect((await bus.retained('#')).map((m) => m.topic)).toEqual(['b'])
    expect(state.subscriptions).toHaveLength(2)
  })

  it('logs a subscriber that throws, with the topic, and still delivers to the others', async () => {
    const { bus, log, live, state } = fakeBus()
    live.connect()
    state.connect()
    await bus.start()
    const got: string[] = []
    await bus.subscribe(['#'], () => {
      throw new Error('subscriber bug')
    })
    await bus.subscribe(['#'], (m) => got.push(m.topic))
    live.deliver({ topic: 'hall/door', payload: new TextEncoder().encode('open'), qos: 0, retain: false })
    expect(got).toEqual(['hall/door'])
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'bus subscriber threw', obj: expect.objectContaining({ topic: 'hall/door' }) }),
    )
  })

  it('refuses a publish while the live connection is down, naming the broker', async () => {
    const { bus } = fakeBus()
    await expect(bus.publish({ topic: 't', payload: new Uint8Array(0), qos: 1, retain: false })).rejects.toThrow(
      'the broker at mqtt://broker.test:1883 is not connected',
    )
  })
})
