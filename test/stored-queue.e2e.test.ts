/** mqtt.maxStoredPerSession from the configuration reaches the broker: a persistent session's queue is capped. */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'

let home: TestHome | undefined
afterEach(async () => {
  await home?.stop()
  home = undefined
})

describe('mqtt.maxStoredPerSession', () => {
  it('caps the queue of a persistent session that is away, and says so in the health detail and the log', async () => {
    home = await startTestHome({ mqtt: { maxStoredPerSession: 2 } })
    const url = `mqtt://127.0.0.1:${home.mqttPort}`
    const session = { clientId: 'away-device', clean: false, reconnectPeriod: 0 }
    const device = await mqtt.connectAsync(url, session)
    await device.subscribeAsync('q/#', { qos: 1 })
    await device.endAsync()
    const pub = await mqtt.connectAsync(url, { reconnectPeriod: 0 })
    for (let i = 0; i < 4; i++) await pub.publishAsync('q/t', `m${i}`, { qos: 1 })

    const health = (await (await home.api('/v1/health')).json()) as { broker: { detail: Record<string, unknown> } }
    expect(health.broker.detail.storedQueueDrops).toBe(2)
    const line = home.log.lines.find((l) => l.msg?.startsWith('mqtt session queue full'))
    expect(line).toMatchObject({ level: 'warn', obj: { clientId: 'away-device', maxStoredPerSession: 2 } })

    const back = mqtt.connect(url, { ...session, manualConnect: true })
    const got: string[] = []
    back.on('message', (_topic, payload) => got.push(payload.toString()))
    back.connect()
    await waitFor(() => got.length >= 2, 5000, 'the queued messages')
    // Published once the two came, it follows the whole queue.
    await pub.publishAsync('q/t', 'mark', { qos: 1 })
    await waitFor(() => got.includes('mark'), 5000, 'the mark')
    expect(got).toEqual(['m0', 'm1', 'mark'])
    await back.endAsync()
    await pub.endAsync()
  })
})
