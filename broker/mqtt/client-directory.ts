/** The ClientDirectory port over aedes: who is connected (aedes.clients), since when, as whom; and disconnecting one. */
import type { Socket } from 'node:net'
import type { Aedes, Client } from 'aedes'
import type { ClientDirectory, ClientInfo } from '../../src/ports/clients.js'
import type { Principal } from './acl.js'
import { clientInternals } from './aedes-internals.js'

/** MQTT 5 DISCONNECT reason 0x98 Administrative action (MQTT 5, 3.14.2.1). */
const ADMINISTRATIVE_ACTION = 0x98

/** lib/client.js keeps the keep-alive only as its timer interval: (seconds * 1500) + 1 ms, or -1 for none [MQTT-3.1.2-24]. */
function keepAliveOf(client: Client): number | undefined {
  const interval = (client as unknown as { _keepaliveInterval?: number })._keepaliveInterval
  if (typeof interval !== 'number') return undefined
  return interval < 0 ? 0 : Math.round((interval - 1) / 1500)
}

function addressOf(client: Client): { address?: string; transport: 'tcp' | 'websocket' } {
  const req = clientInternals(client).req
  const socket: Partial<Socket> | undefined = req ? req.socket : (client.conn as Partial<Socket>)
  const host = socket?.remoteAddress
  if (!host) return { transport: req ? 'websocket' : 'tcp' }
  const port = socket?.remotePort
  const shown = host.includes(':') ? `[${host}]` : host
  return { address: port ? `${shown}:${port}` : shown, transport: req ? 'websocket' : 'tcp' }
}

/** Listens to aedes' clientReady for connection times; principalOf gives the username the client authenticated as. */
export function createClientDirectory(aedes: Aedes, principalOf: (client: Client) => Principal | undefined): ClientDirectory {
  const since = new WeakMap<Client, number>()
  aedes.on('clientReady', (client) => since.set(client, Date.now()))
  const clients = () => (aedes as unknown as { clients: Record<string, Client | undefined> }).clients
  return {
    list(): ClientInfo[] {
      const out: ClientInfo[] = []
      for (const client of Object.values(clients())) {
        if (!client || !client.connected || client.closed) continue
        const principal = principalOf(client)
        const keepAlive = keepAliveOf(client)
        const connectedAt = since.get(client)
        out.push({
          clientId: client.id,
          ...(principal?.kind === 'user' ? { username: principal.username } : {}),
          ...addressOf(client),
          protocolVersion: client.version,
          ...(connectedAt !== undefined ? { connectedAt } : {}),
          ...(keepAlive !== undefined ? { keepAliveSeconds: keepAlive } : {}),
          subscriptions: Object.keys(clientInternals(client).subscriptions).length,
        })
      }
      return out
    },
    disconnect(clientId: string): Promise<boolean> {
      const client = clients()[clientId]
      if (!client || client.closed) return Promise.resolve(false)
      // A v5 client is told why; a 3.1.1 client has no server DISCONNECT and is just closed. The Will is published.
      return new Promise((resolve) => client.disconnect({ reasonCode: ADMINISTRATIVE_ACTION }, () => resolve(true)))
    },
  }
}
