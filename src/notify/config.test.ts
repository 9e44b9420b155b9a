import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../config.js'

function problems(file: unknown): string[] {
  try {
    parseConfig(file, {})
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

const phone = { id: 'phone', type: 'ntfy', server: 'https://ntfy.sh', topic: 'doors-7f3k' }
const workshop = { id: 'workshop', name: 'Workshop door', topic: 'home/workshop/door', notify: ['phone'] }

describe('sensors and notifiers in the config file', () => {
  it('default to none, and fill in the sensor defaults', () => {
    const c = parseConfig({ notifiers: [phone], sensors: [workshop] }, {})
    expect(parseConfig(undefined, {})).toMatchObject({ sensors: [], notifiers: [] })
    expect(c.sensors[0]).toMatchObject({ kind: 'door', debounce: 2000, payload: { stateField: 'state', openValues: ['open', '1', 'true'] } })
    expect(c.notifiers[0]).toMatchObject({ rateLimit: 20 })
  })

  it('reads durations as 90s, 15m, 24h or 7d', () => {
    const c = parseConfig({ sensors: [{ ...workshop, heartbeat: '7d', debounce: '90s' }] }, {})
    expect([c.sensors[0]!.heartbeat, c.sensors[0]!.debounce]).toEqual([604_800_000, 90_000])
  })

  it('names the key of each bad entry', () => {
    expect(
      problems({
        notifiers: [
          { id: 'x', type: 'sms' },
          { id: 'g', type: 'gotify', token: 'env:T' },
        ],
        sensors: [
          { ...workshop, heartbeat: 'daily' },
          { ...workshop, id: 'front', topic: 'home/#' },
        ],
      }),
    ).toEqual([
      'sensors.0.heartbeat: "daily" is not a duration (use 90s, 15m, 24h or 7d)',
      'sensors.1.topic: topic name contains a wildcard (+ or #)',
      'notifiers.0.type: unknown notifier type (use one of ntfy, gotify, pushover, telegram, webhook)',
      'notifiers.1.server: required',
    ])
  })

  it('requires secrets to come from the environment', () => {
    expect(problems({ notifiers: [{ ...phone, token: 'tk_plain' }] })).toEqual([
      'notifiers.0.token: secrets come from the environment: write "env:NAME" and set NAME',
    ])
    expect(problems({ notifiers: [{ ...phone, token: 'env:NTFY_TOKEN' }] })).toEqual([])
  })

  it('refuses the same id twice and unknown keys', () => {
    expect(problems({ sensors: [workshop, workshop] })).toEqual(['sensors.1.id: "workshop" is used twice'])
    expect(problems({ sensors: [{ ...workshop, heartbeet: '24h' }] })).toEqual(['unknown key "sensors.0.heartbeet"'])
  })
})
