/**
 * Correction: an exception inside one connection's handlers must end that connection, not the process
 * (DESIGN.md: hostile input never ends the process).
 *
 * Defect (aedes 2.0.0-beta.1): aedes calls its hooks (preConnect, authenticate, authorizePublish,
 * authorizeSubscribe, authorizeForward) and parses packets from socket and promise
 * callbacks; a throw there is uncaught and Node ends the process, with every other client.
 *
 * The correction: each hook runs inside try/catch, and so does each connection's read path (see
 * connection-guard.ts). What escapes is logged with the client id, and that connection is closed.
 */
import type { Aedes, Client } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'

/** Logs `err` with the client id and closes that client's connection; never throws. */
export function closeAfterThrow(client: Client | null | undefined, err: unknown, where: string, log: Logger): void {
  log.error(
    { clientId: client?.id ?? undefined, where, err: err instanceof Error ? (err.stack ?? err.message) : String(err) },
    'mqtt connection handler threw, connection closed',
  )
  if (!client) return
  try {
    client.close()
  } catch {
    // aedes' own state is broken for this client: cut the transport under it.
  }
  try {
    client.conn.destroy()
  } catch {
    // nothing more can be done for this connection
  }
}

type Hook = (client: Client | null, ...rest: never[]) => unknown

/**
 * Wraps the hooks aedes reads from the instance so that a throw closes only the client it was for.
 * Call after every hook is assigned. A throwing hook's callback gets an error, so aedes unwinds that
 * client's flow (its SUBSCRIBE, PUBLISH or CONNECT fails) instead of waiting for ever.
 */
export function guardHooks(aedes: Aedes, log: Logger): void {
  const hooks = aedes as unknown as Record<string, Hook | undefined>
  // `published` (packet first, then client) is aedes' no-op default here and is left alone.
  for (const name of ['preConnect', 'authenticate', 'authorizePublish', 'authorizeSubscribe'] as const) {
    const hook = hooks[name]
    if (typeof hook !== 'function') continue
    hooks[name] = function (this: unknown, client: Client | null, ...rest: unknown[]) {
      const callback = rest[rest.length - 1]
      try {
        return (hook as (...args: unknown[]) => unknown).call(this, client, ...rest)
      } catch (err) {
        closeAfterThrow(client, err, name, log)
        if (typeof callback === 'function') {
          try {
            // authenticate's callback takes (error, success); the others take (error).
            callback(Object.assign(new Error(`${name} failed`), { returnCode: 3 }), false)
          } catch (inner) {
            log.error({ clientId: client?.id, where: name, err: String(inner) }, 'mqtt hook callback threw')
          }
        }
        return undefined
      }
    }
  }
  const forward = hooks.authorizeForward
  if (typeof forward === 'function') {
    // Synchronous: returns the packet to deliver, or null to skip this subscriber.
    hooks.authorizeForward = function (this: unknown, client: Client | null, ...rest: unknown[]) {
      try {
        return (forward as (...args: unknown[]) => unknown).call(this, client, ...rest)
      } catch (err) {
        closeAfterThrow(client, err, 'authorizeForward', log)
        return null
      }
    }
  }
}
