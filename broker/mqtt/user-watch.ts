/**
 * A user removed or changed while connected: the change reaches live connections within a second.
 *
 * When the user directory reports a change (SqliteUserStore: `postbridge user add/remove` from another
 * process, seen through SQLite's data_version), every connected client logged in as a user is checked
 * again: a removed user, or one whose password changed, is disconnected (MQTT 5: DISCONNECT 0x98
 * Administrative action; 3.1.1 has no DISCONNECT from the server, the connection is closed). A user
 * whose ACL changed keeps its connection under the new ACL: subscriptions the ACL no longer covers are
 * dropped, live and from the stored session. Messages outside the ACL stop at once either way: every
 * delivery is checked against the client's current ACL (forward-acl.ts).
 */
import type { Aedes, Client } from 'aedes'
import type { Logger } from '../../src/ports/logger.js'
import { maySubscribe, principalForUser, type Principal } from './acl.js'
import { clientInternals } from './aedes-internals.js'
import type { MqttUser, UserDirectory } from './users.js'

const ADMINISTRATIVE_ACTION = 0x98

/** A user directory that can tell when its users change (SqliteUserStore). */
export interface WatchableUsers {
  /** Calls `listener` after users changed; returns a function that stops watching. */
  onChange(listener: () => void): () => void
}

function isWatchable(users: UserDirectory): users is UserDirectory & WatchableUsers {
  return typeof (users as Partial<WatchableUsers>).onChange === 'function'
}

export interface UserWatchOptions {
  aedes: Aedes
  users: UserDirectory
  auth: {
    principalOf(client: Client): Principal | undefined
    passwordHashOf(client: Client): string | undefined
    setPrincipal(client: Client, principal: Principal): void
  }
  /** Where a persistent session's subscriptions are stored. */
  store: { removeSubscriptions(client: { id: string }, topicFilters: string[]): Promise<void> }
  log: Logger
}

/** Starts watching when the directory can be watched; returns the function that stops it. */
export function watchUsers(options: UserWatchOptions): () => void {
  const { users, log } = options
  if (!isWatchable(users)) return () => {}
  let running: Promise<void> | undefined
  let again = false
  const recheck = () => {
    if (running) {
      again = true
      return
    }
    running = recheckAll(options)
      .catch((err: unknown) => log.error({ err }, 'mqtt user re-check failed'))
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          recheck()
        }
      })
  }
  return users.onChange(recheck)
}

async function recheckAll(options: UserWatchOptions): Promise<void> {
  const clients = Object.values((options.aedes as unknown as { clients: Record<string, Client> }).clients)
  const byUser = new Map<string, Client[]>()
  for (const client of clients) {
    const principal = options.auth.principalOf(client)
    if (principal?.kind !== 'user') continue
    byUser.set(principal.username, [...(byUser.get(principal.username) ?? []), client])
  }
  for (const [username, connected] of byUser) {
    const user = await options.users.find(username)
    for (const client of connected) apply(options, client, user)
  }
}

function apply(options: UserWatchOptions, client: Client, user: MqttUser | undefined): void {
  if (client.closed) return
  if (!user || user.passwordHash !== options.auth.passwordHashOf(client)) {
    options.log.info(
      { clientId: client.id, username: user?.username, reason: user ? 'password changed' : 'user removed' },
      'mqtt client disconnected',
    )
    client.disconnect({ reasonCode: ADMINISTRATIVE_ACTION }, () => {})
    return
  }
  const principal = principalForUser(user, client.id)
  options.auth.setPrincipal(client, principal)
  const dropped = Object.keys(clientInternals(client).subscriptions).filter((topicFilter) => !maySubscribe(principal, topicFilter))
  if (dropped.length === 0) return
  options.log.info({ clientId: client.id, username: user.username, dropped }, 'mqtt subscriptions outside the new ACL dropped')
  client.unsubscribe({ unsubscriptions: dropped } as never, () => {})
  if (!client.clean)
    void options.store
      .removeSubscriptions(client, dropped)
      .catch((err: unknown) => options.log.error({ err, clientId: client.id }, 'mqtt stored subscriptions not removed'))
}
