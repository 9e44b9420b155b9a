import { describe, expect, it } from 'vitest'
import type { SensorView } from '../notify/ports.js'
import { availability, configMessages, removalMessages, stateMessages } from './discovery.js'

const settings = { prefix: 'homeassistant', statePrefix: 'postbridge/sensors' }

function view(extra: Partial<SensorView> = {}): SensorView {
  return {
    id: 'back.door',
    name: 'Back door',
    topic: 'home/back/door',
    kind: 'door',
    heartbeat: '1h',
    notify: [],
    payload: {
      stateField: 'state',
      batteryField: 'battery',
      batteryPctField: 'battery_pct',
      openValues: ['open'],
      closedValues: ['closed'],
      willValues: ['offline'],
    },
    debounce: '2s',
    source: 'api',
    state: 'open',
    battery: { value: 3.7, unit: 'V', at: '2026-12-01T00:00:00.000Z' },
    batteryDaysLeft: null,
    lastSeen: '2026-12-01T00:00:00.000Z',
    online: true,
    silent: false,
    lastWill: null,
    ...extra,
  }
}

describe('Home Assistant discovery messages', () => {
  it('announces a door binary_sensor and a battery sensor grouped in one device', () => {
    const [door, battery] = configMessages(settings, view())
    expect(door!.topic).toBe('homeassistant/binary_sensor/postbridge_back_door/door/config')
    expect(battery!.topic).toBe('homeassistant/sensor/postbridge_back_door/battery/config')
    const d = JSON.parse(door!.payload)
    const b = JSON.parse(battery!.payload)
    expect(d).toMatchObject({
      device_class: 'door',
      state_topic: 'postbridge/sensors/back.door/door',
      payload_on: 'open',
      payload_off: 'closed',
      availability_topic: 'postbridge/sensors/back.door/availability',
      unique_id: 'postbridge_back_door_door',
    })
    expect(b).toMatchObject({ state_topic: 'postbridge/sensors/back.door/battery', unique_id: 'postbridge_back_door_battery' })
    expect(d.device).toEqual(b.device)
    expect(d.device).toMatchObject({ identifiers: ['postbridge_back_door'], name: 'Back door' })
  })

  it('uses the battery device class for percentages and voltage for volts', () => {
    const pct = JSON.parse(configMessages(settings, view({ battery: { value: 80, unit: '%', at: 'x' } }))[1]!.payload)
    expect(pct).toMatchObject({ device_class: 'battery', unit_of_measurement: '%' })
    const volts = JSON.parse(configMessages(settings, view())[1]!.payload)
    expect(volts).toMatchObject({ device_class: 'voltage', unit_of_measurement: 'V' })
  })

  it('follows the online rule: a silent sensor is unavailable, one without heartbeat always available', () => {
    expect(availability(view({ online: true }))).toBe('online')
    expect(availability(view({ online: false, silent: true }))).toBe('offline')
    expect(availability(view({ online: null, heartbeat: undefined }))).toBe('online')
  })

  it('publishes only the states it knows', () => {
    expect(stateMessages(settings, view())).toEqual([
      { topic: 'postbridge/sensors/back.door/availability', payload: 'online' },
      { topic: 'postbridge/sensors/back.door/door', payload: 'open' },
      { topic: 'postbridge/sensors/back.door/battery', payload: '3.7' },
    ])
    expect(stateMessages(settings, view({ state: null, battery: null }))).toEqual([
      { topic: 'postbridge/sensors/back.door/availability', payload: 'online' },
    ])
  })

  it('clears every config and state topic of a removed sensor with an empty payload', () => {
    const removal = removalMessages(settings, 'back.door')
    expect(removal.map((m) => m.payload)).toEqual(['', '', '', '', ''])
    expect(removal.map((m) => m.topic)).toContain('homeassistant/binary_sensor/postbridge_back_door/door/config')
    expect(removal.map((m) => m.topic)).toContain('postbridge/sensors/back.door/door')
  })
})
