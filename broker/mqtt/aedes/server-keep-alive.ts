/**
 * Server Keep Alive: the broker caps the keep-alive of MQTT 5 clients.
 *
 * aedes 2.0.0-beta.1 has one option for both protocol versions (`keepaliveLimit`): an MQTT 5 client
 * above it gets Server Keep Alive, but an MQTT 3.1.1 client above it (or with keep-alive 0) is refused
 * with return code 6, which MQTT 3.1.1 does not define [MQTT-3.2.3-1]. 3.1.1 gives the server no way to
 * tell a client another keep-alive, so 3.1.1 clients keep theirs here.
 *
 * [MQTT-3.1.2-21]: when the server sends Server Keep Alive in CONNACK, the client uses that value
 * instead of its own; the server then disconnects a client silent for one and a half times that long.
 * aedes does both once `client._serverKeepAlive` is set before CONNECT is processed (preConnect).
 *
 * Postbridge caps at 60 s by default (config `mqtt.maxKeepAlive`): the usual default of clients, and
 * short enough that a device gone from the network is noticed and its will published.
 */
import type { ClientInternals } from '../aedes-internals.js'

/** Sets Server Keep Alive for an MQTT 5 client whose keep-alive is 0 or above `maxSeconds` (0: no cap). */
export function capKeepAlive(client: ClientInternals, connect: { protocolVersion?: number; keepalive?: number }, maxSeconds: number): void {
  if (maxSeconds <= 0 || connect.protocolVersion !== 5) return
  if (!connect.keepalive || connect.keepalive > maxSeconds) {
    ;(client as ClientInternals & { _serverKeepAlive?: number })._serverKeepAlive = maxSeconds
  }
}
