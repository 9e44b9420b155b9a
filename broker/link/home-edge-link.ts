/** The edge link as a feature of the home node: started when edge.url is set, reported in /v1/health as `edge`. */
import type { Config } from '../../src/config.js'
import { isLinkDegraded } from '../../src/link/link-health.js'
import type { Bus } from '../../src/ports/bus.js'
import type { Logger } from '../../src/ports/logger.js'
import type { Deps } from '../../src/ports/deps.js'
import type { Db } from '../store/db.js'
import type { EdgeLink } from './edge-link.js'
import { UpOutbox } from './up-outbox.js'

export interface HomeEdgeLink {
  link: EdgeLink
  close(): Promise<void>
}

/** Starts the link when configured, and adds its state to /v1/health (keeping any facts already there). */
export async function startHomeEdgeLink(edge: Config['edge'], bus: Bus, deps: Deps, log: Logger, db: Db): Promise<HomeEdgeLink | undefined> {
  if (!edge.url || !edge.secret) return undefined
  // Loaded only when configured: mqtt.js costs ~10 MB of memory that a home node without an edge never needs.
  const { startEdgeLink } = await import('./edge-link.js')
  const link = await startEdgeLink({
    url: edge.url,
    secret: edge.secret,
    up: edge.up,
    bus,
    log,
    keepaliveMs: edge.keepalive,
    outbox: new UpOutbox(db, edge.outboxMax),
    backoff: { minDelayMs: edge.minReconnectDelay, maxDelayMs: Math.max(edge.minReconnectDelay, edge.maxReconnectDelay) },
  })
  const previous = deps.health
  deps.health = async () => {
    const edgeStatus = link.status()
    const degraded = isLinkDegraded(edgeStatus.state, Date.parse(edgeStatus.downSince ?? edgeStatus.since), Date.now())
    // `degraded` never hides `down`: a broker that is not connected says so first.
    return { ...(previous ? await previous() : {}), ...(degraded && bus.status().connected ? { status: 'degraded' } : {}), edge: edgeStatus }
  }
  return { link, close: () => link.close() }
}
