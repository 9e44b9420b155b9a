/**
 * The contract every Bus adapter passes: describeBus('name', makeFixture). Run by the memory bus, the aedes bus, the
 * MQTT-client bus against mosquitto (external broker), and the edge hub in workerd.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Message } from '../ports/types.js'
import type { Bus } from '../ports/bus.js'

export interface BusFixture {
  bus: Bus
  /**
   * True when the bus owns the broker (memory, aedes): subscriber callbacks have run when publish resolves, which
   * webhook durability depends on. A client of another broker (external, BROKER_URL, the edge over the link) hears
   * its own messages back only after the broker acknowledged them.
   */
  deliversBeforeAck: boolean
  close(): Promise<void>
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const message = (topic: string, payload: string, over: Partial<Message> = {}): Message => ({
  topic,
  payload: new TextEncoder().encode(payload),
  qos: 1,
  retain: false,
  ...over,
})

export interface BusContractOptions {
  /** How long a delivery may take to show (default 5 s). */
  timeoutMs?: number
  /** Publishes left unanswered at once in the order test (the edge's test queue holds 8); default all 50. */
  maxInFlight?: number
}

export function describeBus(name: string, makeFixture: () => Promise<BusFixture>, options: BusContractOptions = {}): void {
  const timeout = options.timeoutMs ?? 5000
  const maxInFlight = options.maxInFlight ?? 50
  describe(`Bus contract: ${name}`, () => {
    const open: BusFixture[] = []
    afterEach(async () => {
      for (const f of open.splice(0)) await f.close()
    })
    const fixture = async () => {
      const f = await makeFixture()
      open.push(f)
      return f
    }
    /** A topic of its own per test: a broker shared by the fixtures may still hold another test's retained state. */
    const base = () => `contract/${crypto.randomUUID().slice(0, 8)}`

    it('clears the retain flag of a live message, and keeps it only under Retain As Published [MQTT-3.3.1-9] [MQTT-3.3.1-12]', async () => {
      const { bus } = await fixture()
      const topic = `${base()}/lamp`
      const plain: Message[] = []
      const asPublished: Message[] = []
      await bus.subscribe([topic], (m) => plain.push(m))
      await bus.subscribe([topic], (m) => asPublished.push(m), { retainAsPublished: true })
      await bus.publish(message(topic, 'on', { retain: true }))
      await bus.publish(message(topic, 'event'))
      await vi.waitFor(() => expect(plain.length + asPublished.length).toBe(4), { timeout })
      expect(plain.map((m) => [text(m.payload), m.retain])).toEqual([
        ['on', false],
        ['event', false],
      ])
      expect(asPublished.map((m) => [text(m.payload), m.retain])).toEqual([
        ['on', true],
        ['event', false],
      ])
      await bus.clearRetained(topic)
    })

    it.each(['a/#/b', 'a/b#', 'a+/b', ''])('refuses the invalid filter "%s" [MQTT-4.7.1-1] [MQTT-4.7.1-2] [MQTT-4.7.3-1]', async (filter) => {
      const { bus } = await fixture()
      await expect(bus.subscribe([filter], () => {})).rejects.toThrow()
    })

    it('keeps delivering to the other subscribers when one throws', async () => {
      const { bus } = await fixture()
      const topic = `${base()}/t`
      const seen: string[] = []
      await bus.subscribe([topic], () => {
        throw new Error('a subscriber bug')
      })
      await bus.subscribe([topic], (m) => seen.push(text(m.payload)))
      await bus.publish(message(topic, 'one'))
      await bus.publish(message(topic, 'two'))
      await vi.waitFor(() => expect(seen).toEqual(['one', 'two']), { timeout })
    })

    it('delivers a message once to a subscription whose filters overlap', async () => {
      const { bus } = await fixture()
      const root = base()
      const seen: string[] = []
      await bus.subscribe([`${root}/#`, `${root}/+`, `${root}/x`], (m) => seen.push(text(m.payload)))
      await bus.publish(message(`${root}/x`, 'once'))
      // A second message as a marker: once it is there, a duplicate of the first would be too.
      await bus.publish(message(`${root}/y`, 'marker'))
      await vi.waitFor(() => expect(seen).toContain('marker'), { timeout })
      expect(seen).toEqual(['once', 'marker'])
    })

    it("delivers one publisher's messages in publish order [MQTT-4.6.0-6]", async () => {
      const { bus } = await fixture()
      const topic = `${base()}/seq`
      const seen: string[] = []
      await bus.subscribe([topic], (m) => seen.push(text(m.payload)))
      const sent = Array.from({ length: 50 }, (_, i) => String(i + 1))
      // At one QoS: messages of different QoS take different paths through a broker (aedes and mosquitto alike).
      for (let i = 0; i < sent.length; i += maxInFlight) await Promise.all(sent.slice(i, i + maxInFlight).map((n) => bus.publish(message(topic, n))))
      await vi.waitFor(() => expect(seen).toHaveLength(50), { timeout })
      expect(seen).toEqual(sent)
    })

    it('runs the subscriber callback before publish resolves, when the bus owns the broker', async () => {
      const { bus, deliversBeforeAck } = await fixture()
      if (!deliversBeforeAck) return
      const topic = `${base()}/durable`
      const seen: string[] = []
      await bus.subscribe([topic], (m) => seen.push(text(m.payload)))
      await bus.publish(message(topic, 'kept'))
      expect(seen).toEqual(['kept'])
    })
  })
}
