import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { Harness, waitFor } from '../mqtt/fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

// The edge link mirrors home's retained state, so it needs the retain flag messages were published with.
describe('the home Bus and Retain As Published [MQTT-3.8.3-3]', () => {
  it('hands a live retained publish to a subscriber that asks for it with retain true, and to others with false', async () => {
    const broker = await h.broker()
    const asPublished: Message[] = []
    const plain: Message[] = []
    await broker.bus.subscribe(['rap/#'], (m) => asPublished.push(m), { retainAsPublished: true })
    await broker.bus.subscribe(['rap/#'], (m) => plain.push(m))
    const device = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await device.publishAsync('rap/state', 'on', { qos: 1, retain: true })
    await device.publishAsync('rap/event', 'ding', { qos: 1 })
    await waitFor(() => asPublished.length === 2 && plain.length === 2, 5000, 'both messages to both subscribers')
    expect(asPublished.map((m) => [m.topic, m.retain])).toEqual([
      ['rap/state', true],
      ['rap/event', false],
    ])
    expect(plain.map((m) => m.retain)).toEqual([false, false])
  })
})
