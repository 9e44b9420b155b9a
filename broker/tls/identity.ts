/**
 * mosquitto's use_identity_as_username: a client that presented a certificate the CA vouches for is the MQTT user
 * named by the certificate's Common Name, with no password.
 */
import type { TLSSocket } from 'node:tls'
import type { Client } from 'aedes'
import { clientInternals } from '../mqtt/aedes-internals.js'

/** The verified certificate's CN, over MQTT/TLS or secure WebSocket; undefined without a verified certificate. */
export function certificateIdentity(client: Client): string | undefined {
  const req = clientInternals(client).req
  const socket = (req?.socket ?? client.conn) as Partial<TLSSocket>
  if (!socket.encrypted || !socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined
  const cn = socket.getPeerCertificate().subject?.CN
  // A subject may carry the attribute twice; Node gives an array then, and an ambiguous name is no identity.
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined
}
