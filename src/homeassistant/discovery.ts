/**
 * Home Assistant MQTT discovery for door sensors: what Postbridge publishes so that each sensor appears in Home
 * Assistant without YAML. Pure: it turns a sensor as the API shows it into topic/payload pairs; the publisher sends
 * them. Message shapes follow https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery.
 */
import type { SensorView } from '../notify/ports.js'

export interface DiscoverySettings {
  /** Home Assistant's discovery prefix (its default is `homeassistant`). */
  prefix: string
  /** Where Postbridge keeps each sensor's derived state: `<statePrefix>/<sensor id>/{door,battery,availability}`. */
  statePrefix: string
}

/** One retained MQTT message to send; an empty payload removes the retained message (and the entity). */
export interface DiscoveryMessage {
  topic: string
  payload: string
}

export const AVAILABLE = 'online'
export const NOT_AVAILABLE = 'offline'

/** Sensor ids may hold "." which Home Assistant's object ids do not accept. */
function objectId(sensorId: string): string {
  return `postbridge_${sensorId.replace(/[^A-Za-z0-9_-]/g, '_')}`
}

export function stateTopics(s: DiscoverySettings, sensorId: string) {
  const base = `${s.statePrefix}/${sensorId}`
  return { door: `${base}/door`, battery: `${base}/battery`, availability: `${base}/availability` }
}

function configTopics(s: DiscoverySettings, sensorId: string) {
  const id = objectId(sensorId)
  return { door: `${s.prefix}/binary_sensor/${id}/door/config`, battery: `${s.prefix}/sensor/${id}/battery/config` }
}

/**
 * Available follows Postbridge's online rule: a sensor with a heartbeat is available while heard within 1.5 times
 * it (not silent); one without a heartbeat cannot be judged and is always available.
 */
export function availability(view: SensorView): typeof AVAILABLE | typeof NOT_AVAILABLE {
  return view.online === false ? NOT_AVAILABLE : AVAILABLE
}

/** The retained config messages announcing one sensor: a door `binary_sensor` and a battery `sensor`, one device. */
export function configMessages(s: DiscoverySettings, view: SensorView): DiscoveryMessage[] {
  const id = objectId(view.id)
  const topics = stateTopics(s, view.id)
  const config = configTopics(s, view.id)
  const device = { identifiers: [id], name: view.name, manufacturer: 'Postbridge', model: 'Door sensor' }
  const common = {
    availability_topic: topics.availability,
    payload_available: AVAILABLE,
    payload_not_available: NOT_AVAILABLE,
    device,
  }
  const door = {
    name: 'Door',
    unique_id: `${id}_door`,
    device_class: 'door',
    state_topic: topics.door,
    payload_on: 'open',
    payload_off: 'closed',
    ...common,
  }
  // Home Assistant's battery device class is a percentage; a sensor reporting volts is a voltage sensor.
  const volts = view.battery?.unit === 'V' || (view.battery === null && typeof view.batteryLow === 'number')
  const battery = {
    name: 'Battery',
    unique_id: `${id}_battery`,
    device_class: volts ? 'voltage' : 'battery',
    unit_of_measurement: volts ? 'V' : '%',
    state_class: 'measurement',
    entity_category: 'diagnostic',
    state_topic: topics.battery,
    ...common,
  }
  return [
    { topic: config.door, payload: JSON.stringify(door) },
    { topic: config.battery, payload: JSON.stringify(battery) },
  ]
}

/** The retained state messages for one sensor; a value not known yet is left out rather than guessed. */
export function stateMessages(s: DiscoverySettings, view: SensorView): DiscoveryMessage[] {
  const topics = stateTopics(s, view.id)
  const out: DiscoveryMessage[] = [{ topic: topics.availability, payload: availability(view) }]
  if (view.state) out.push({ topic: topics.door, payload: view.state })
  if (view.battery) out.push({ topic: topics.battery, payload: String(view.battery.value) })
  return out
}

/** Empty retained payloads on every topic of a deleted sensor: Home Assistant removes the entities. */
export function removalMessages(s: DiscoverySettings, sensorId: string): DiscoveryMessage[] {
  return [...Object.values(configTopics(s, sensorId)), ...Object.values(stateTopics(s, sensorId))].map((topic) => ({ topic, payload: '' }))
}
