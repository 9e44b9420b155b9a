/**
 * aedes keeps its clients by client id (`broker.clients`) and each client's subscriptions by topic filter
 * (`client.subscriptions`) in plain objects, where a key that names a member of Object.prototype reads that
 * member. A CONNECT with the client id `constructor` made aedes take it for a session to take over and call
 * `Object.disconnect()`; an UNSUBSCRIBE from `toString` made it remove a subscription that was never there, and
 * mqemitter's assertion about that. Either threw outside any connection and ended the process. Here both are
 * dictionaries without a prototype, where every client id and topic filter is only a key.
 */
import type { Client } from 'aedes'

/** Before any client connects. */
export function prototypeFreeClients(aedes: { clients: Record<string, Client> }): void {
  aedes.clients = Object.create(null) as Record<string, Client>
}

/** On a connection aedes has just taken, before it reads a packet. */
export function prototypeFreeSubscriptions(client: Client): void {
  ;(client as unknown as { subscriptions: Record<string, unknown> }).subscriptions = Object.create(null) as Record<string, unknown>
}
