/**
 * A test home that plays home's broker for the edge hub's Bus contract: it acknowledges each message the edge sends
 * down and sends it back up with its retain flag, as home's link (subscribed to '#' with Retain As Published) would.
 * It waits for the edge's PUBACK of each message before the next (see test-home.ts on frame order under test).
 */
import type { Packet } from 'mqtt-packet'
import type { Bus } from '../../src/ports/bus.js'
import { inHub, linkHome, type TestHome } from './test-home.js'

export interface EchoHome {
  home: TestHome
  /** The hub's Bus, each call made inside the Durable Object. */
  bus: Bus
  close(): void
}

export async function echoHome(hub: DurableObjectStub): Promise<EchoHome> {
  const home = await linkHome(hub)
  let open = true
  let upId = 0
  void (async () => {
    while (open) {
      let down: Extract<Packet, { cmd: 'publish' }>
      try {
        down = await home.next('publish', 60_000)
      } catch {
        continue
      }
      if (down.qos > 0) home.send({ cmd: 'puback', messageId: down.messageId!, reasonCode: 0 })
      upId = (upId % 65535) + 1
      home.send({
        cmd: 'publish',
        topic: down.topic,
        payload: down.payload,
        qos: 1,
        messageId: upId,
        retain: down.retain,
        dup: false,
        ...(down.properties ? { properties: down.properties } : {}),
      })
      await home.next('puback').catch(() => {})
    }
  })()
  const bus: Bus = {
    publish: (m) => inHub(hub, (h) => h.bus.publish(m)),
    subscribe: (filters, onMessage, options) => inHub(hub, (h) => h.bus.subscribe(filters, onMessage, options)),
    retained: (filter) => inHub(hub, (h) => h.bus.retained(filter)),
    clearRetained: (topic) => inHub(hub, (h) => h.bus.clearRetained(topic)),
    status: () => ({ kind: 'link', connected: true }),
  }
  return {
    home,
    bus,
    close: () => {
      open = false
      home.close()
    },
  }
}
