/**
 * Home Assistant MQTT discovery end to end: a real home node, mosquitto_pub as the door sensor, and an MQTT 5
 * client that behaves as Home Assistant's MQTT integration does (persistent session, a will on its status topic,
 * a birth message, subscribed to the discovery prefix and the state topics the configs name).
 */
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub } from './fixtures/mosquitto.js'

const DOOR_CONFIG = 'homeassistant/binary_sensor/postbridge_back/door/config'
const BATTERY_CONFIG = 'homeassistant/sensor/postbridge_back/battery/config'

let home: TestHome | undefined
let ha: MqttClient | undefined
afterEach(async () => {
  await ha?.endAsync(true)
  ha = undefined
  await home?.stop()
  home = undefined
})

interface Seen {
  topic: string
  payload: string
  retain: boolean
}

/** Connects like Home Assistant and records what it receives. */
async function homeAssistant(port: number): Promise<{ client: MqttClient; seen: Seen[] }> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 5,
    clientId: 'homeassistant-test',
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    will: { topic: 'homeassistant/status', payload: Buffer.from('offline'), qos: 1, retain: false },
  })
  const seen: Seen[] = []
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }))
  await client.subscribeAsync(['homeassistant/#', 'postbridge/sensors/#'], { qos: 1 })
  return { client, seen }
}

const last = (seen: Seen[], topic: string) => seen.filter((s) => s.topic === topic).at(-1)

async function start(): Promise<TestHome> {
  home = await startTestHome({
    homeAssistant: { discovery: true },
    sensors: [{ id: 'back', name: 'Back door', topic: 'home/back/door', heartbeat: '1h', debounce: '100ms' }],
  })
  return home
}

it('announces each configured door sensor with retained discovery configs Home Assistant can read', async () => {
  const node = await start()
  const { client, seen } = await homeAssistant(node.mqttPort)
  ha = client
  const door = (await waitFor(() => last(seen, DOOR_CONFIG), 5000, 'door config'))!
  const battery = (await waitFor(() => last(seen, BATTERY_CONFIG), 5000, 'battery config'))!
  expect(door.retain).toBe(true)
  const doorConfig = JSON.parse(door.payload)
  expect(doorConfig).toMatchObject({
    device_class: 'door',
    state_topic: 'postbridge/sensors/back/door',
    availability_topic: 'postbridge/sensors/back/availability',
  })
  expect(JSON.parse(battery.payload).device).toEqual(doorConfig.device)
  // Tracking just started and nothing was heard yet: not available under the 1 h heartbeat rule.
  // Retained messages of the second filter of the SUBSCRIBE may come after those of the first: wait for them too.
  const availability = await waitFor(() => last(seen, 'postbridge/sensors/back/availability'), 5000, 'availability')
  expect(availability?.payload).toBe('offline')
})

it('mirrors the door and battery reported by the sensor to the state topics', async () => {
  const node = await start()
  const { client, seen } = await homeAssistant(node.mqttPort)
  ha = client
  await waitFor(() => last(seen, DOOR_CONFIG), 5000, 'door config')
  const { code, stderr } = await mosquittoPub(node.mqttPort, 'home/back/door', '{"state":"open","battery":3.61}', ['-q', '1'])
  expect(code, stderr).toBe(0)
  await waitFor(() => last(seen, 'postbridge/sensors/back/door')?.payload === 'open', 5000, 'door state open')
  await waitFor(() => last(seen, 'postbridge/sensors/back/battery')?.payload === '3.61', 5000, 'battery state')
  await waitFor(() => last(seen, 'postbridge/sensors/back/availability')?.payload === 'online', 5000, 'available')
})

it('announces the sensors again when Home Assistant publishes its birth message', async () => {
  const node = await start()
  const { client, seen } = await homeAssistant(node.mqttPort)
  ha = client
  await waitFor(() => last(seen, DOOR_CONFIG), 5000, 'door config')
  const before = seen.filter((s) => s.topic === DOOR_CONFIG).length
  await client.publishAsync('homeassistant/status', 'online', { qos: 1 })
  await waitFor(() => seen.filter((s) => s.topic === DOOR_CONFIG).length > before, 5000, 'config announced again')
  await waitFor(() => seen.filter((s) => s.topic === 'postbridge/sensors/back/availability').length > 1, 5000, 'state announced again')
})

it('removes the entities when the sensor is deleted', async () => {
  home = await startTestHome({ homeAssistant: { discovery: true } })
  const res = await home.api('/v1/sensors', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'back', name: 'Back door', topic: 'home/back/door' }),
  })
  expect(res.status).toBe(201)
  const { client, seen } = await homeAssistant(home.mqttPort)
  ha = client
  await waitFor(() => last(seen, DOOR_CONFIG)?.payload, 5000, 'door config')
  expect((await home.api('/v1/sensors/back', { method: 'DELETE' })).status).toBe(204)
  await waitFor(() => last(seen, DOOR_CONFIG)?.payload === '', 5000, 'door config cleared')
  await waitFor(() => last(seen, BATTERY_CONFIG)?.payload === '', 5000, 'battery config cleared')
  // Nothing is left retained for a Home Assistant that starts later.
  const retained = await home.api('/v1/retained?filter=homeassistant/%23', { headers: { accept: 'application/json' } })
  expect(((await retained.json()) as { messages: unknown[] }).messages).toEqual([])
})

it('publishes nothing under the discovery prefix unless discovery is on', async () => {
  home = await startTestHome({ sensors: [{ id: 'back', name: 'Back door', topic: 'home/back/door' }] })
  const res = await home.api('/v1/retained?filter=homeassistant/%23', { headers: { accept: 'application/json' } })
  expect(((await res.json()) as { messages: unknown[] }).messages).toEqual([])
  const states = await home.api('/v1/retained?filter=postbridge/sensors/%23', { headers: { accept: 'application/json' } })
  expect(((await states.json()) as { messages: unknown[] }).messages).toEqual([])
})
