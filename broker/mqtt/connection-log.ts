/** Devices coming and going, at info: the first thing a user looks for when a relay "does not work". */
import type { Aedes, Client } from 'aedes'
import type { Logger } from '../../src/ports/logger.js'
import type { Principal } from './acl.js'
import { remoteOf } from './auth.js'

export function logConnections(aedes: Aedes, principalOf: (client: Client) => Principal | undefined, log: Logger): void {
  const who = (client: Client) => {
    const principal = principalOf(client)
    return { clientId: client.id, ...(principal?.kind === 'user' ? { username: principal.username } : { anonymous: true }) }
  }
  aedes.on('clientReady', (client) => {
    log.info({ ...who(client), remoteAddress: remoteOf(client).address, version: client.version }, 'mqtt client connected')
  })
  aedes.on('clientDisconnect', (client) => log.info(who(client), 'mqtt client disconnected'))
}
