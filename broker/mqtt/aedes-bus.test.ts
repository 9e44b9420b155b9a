import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '../../src/ports/types.js'
import { describeBus } from '../../src/testing/bus-contract.js'
import { Harness, bytes, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

describe('Bus subscriptions and the retain flag', () => {
  it('delivers live messages with retain false unless the subscription keeps it as published [MQTT-3.3.1-12] [MQTT-3.3.1-13]', async () => {
    const broker = await h.broker()
    const plain: Message[] = []
    const asPublished: Message[] = []
    await broker.bus.subscribe(['rap/#'], (m) => plain.push(m))
    await broker.bus.subscribe(['rap/#'], (m) => asPublished.push(m), { retainAsPublished: true })
    const device = await h.client(broker.tcpPort, { protocolVersion: 4 })
    await device.publishAsync('rap/state', 'on', { qos: 1, retain: true })
    await device.publishAsync('rap/event', 'click', { qos: 1 })
    await waitFor(() => plain.length === 2 && asPublished.length === 2)
    expect(plain.map((m) => m.retain)).toEqual([false, false])
    expect(asPublished.map((m) => [m.topic, m.retain])).toEqual([
      ['rap/state', true],
      ['rap/event', false],
    ])
  })
})

describeBus('aedes (the embedded broker)', async () => {
  const harness = new Harness()
  const broker = await harness.broker()
  return { bus: broker.bus, deliversBeforeAck: true, close: () => harness.cleanup() }
})
