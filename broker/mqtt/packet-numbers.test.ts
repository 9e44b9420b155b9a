import { createRequire } from 'node:module'
import { afterEach, expect, it } from 'vitest'
import { Harness, collect, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

// mqtt-packet's own modules, as aedes and mqtt.js load them (the broker wraps the package's writeToStream export).
const require = createRequire(import.meta.url)
const numbers = require('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> }
const writeToStream = require('mqtt-packet/writeToStream.js') as { cacheNumbers: boolean }

it("writes packet identifiers and lengths without mqtt-packet's 65,536-number cache", async () => {
  const broker = await h.broker()
  const client = await h.client(broker.tcpPort)
  await client.subscribeAsync('numbers/#', { qos: 1 })
  const seen = collect(client)
  await client.publishAsync('numbers/a', 'x', { qos: 1 })
  await waitFor(() => seen.length === 1, 5000, 'the message back')
  expect(seen[0]?.packet.messageId).toBeGreaterThan(0) // numbers were written: a QoS 1 delivery has a packet id
  expect(writeToStream.cacheNumbers).toBe(false)
  expect(Object.keys(numbers.cache)).toEqual([])
})
