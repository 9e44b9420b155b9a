/** `broker.external`: the home node without its embedded broker, as a client of one that already runs. */
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { Config } from '../../src/config.js'
import type { Logger } from '../../src/ports/logger.js'
import type { MqttBroker } from '../mqtt/broker.js'
import { ExternalBus } from './external-bus.js'

/**
 * Shaped like the embedded broker so the composition root swaps one for the other. There is no MQTT listener here
 * (tcpPort 0) and /mqtt WebSockets are refused: devices talk to the external broker directly.
 */
export async function startExternalBroker(broker: Config['broker'] & { external: string }, log: Logger): Promise<MqttBroker> {
  const bus = await ExternalBus.connect({
    url: broker.external,
    ...(broker.username ? { username: broker.username } : {}),
    ...(broker.password ? { password: broker.password } : {}),
    log,
  })
  log.info({ url: bus.status().detail?.url }, 'using the external MQTT broker; the embedded one is not started')
  return {
    bus,
    tcpPort: 0,
    handleWebSocket(ws: WebSocket, _req: IncomingMessage) {
      // 1008: policy. The devices' broker is elsewhere; say so rather than hang.
      ws.close(1008, 'no embedded broker: connect to the external broker')
    },
    close: () => bus.close(),
  }
}
