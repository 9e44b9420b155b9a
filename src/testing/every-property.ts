import type { MessageProperties } from '../ports/types.js'

/** One value for every MQTT 5 property Postbridge carries, for the round-trip tests of each mapping. */
export function everyProperty(): MessageProperties {
  return {
    contentType: 'application/json',
    payloadFormatIndicator: true,
    messageExpiryInterval: 60,
    responseTopic: 'reply/1',
    correlationData: new Uint8Array([1, 2, 3]),
    userProperties: { room: 'hall', tags: ['a', 'b'] },
  }
}
