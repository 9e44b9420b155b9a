/** An MQTT 5 device on a Bus, for request/reply tests: it answers what it is sent where the request asked, as the spec says. */
import type { Bus } from '../ports/bus.js'
import type { MessageProperties } from '../ports/types.js'
import { utf8 } from '../util/bytes.js'

/**
 * Answers every message on `topic` with `reply` on the message's Response Topic, echoing its Correlation Data
 * [MQTT-4.10]; `properties` go beside it (a content type, say).
 */
export async function mqtt5Responder(bus: Bus, topic: string, reply: string, properties: MessageProperties = {}): Promise<void> {
  await bus.subscribe([topic], (m) => {
    const responseTopic = m.properties?.responseTopic
    if (!responseTopic) return
    void bus.publish({
      topic: responseTopic,
      payload: utf8(reply),
      qos: 0,
      retain: false,
      properties: { ...properties, ...(m.properties?.correlationData ? { correlationData: m.properties.correlationData } : {}) },
    })
  })
}
