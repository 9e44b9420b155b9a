/**
 * Correction to aedes 2.0.0-beta.1: an MQTT 5 session kept in the store still expires after a restart.
 *
 * Defect (aedes.js scheduleSessionExpiry): the Session Expiry Interval runs as a timer in memory,
 * armed when the client disconnects, and nothing of it is stored. After a restart no timer exists:
 * a session whose client never came back lived on, queueing every QoS 1/2 message for it, for ever.
 * A client still connected when the broker stopped never got a timer at all (aedes arms none while
 * it closes). MQTT 5 §3.1.2.11.2 and §4.1: the server deletes the session state once the Session
 * Expiry Interval has passed since the network connection closed; 0xFFFFFFFF never expires.
 *
 * Correction: for each client id whose session has a finite, non-zero interval, a record in the
 * broker's LevelDB (`postbridge-session-expiry`): the interval, written when the session goes live,
 * and the time of disconnect, written when its connection closes (also while the broker stops: for a
 * client connected then, that is its disconnect time). At start, before any client can connect, a
 * session whose time has passed is ended; the others get a timer for what is left, which a reconnect
 * cancels as it cancels aedes' own. A record with no time of disconnect (the process was killed with
 * the client connected) counts from that start, and the start is written down so a crash loop does
 * not keep the session alive. A session ends as aedes ends an expired one, with cleanSubscriptions
 * (subscriptions, queued messages, half-received QoS 2 messages, owner); a will it left stays for
 * the will sweep, which publishes the wills of the previous run.
 *
 * Sessions that carry no interval of their own, MQTT 3.1.1 Clean Session 0 ones and those stored before these
 * records existed, never ended: a device gone for good kept its queue for ever. With `configuredSeconds`
 * (mqtt.persistentSessionExpiry, as Mosquitto's persistent_client_expiration) they get a record of that interval,
 * marked as configured: the same timer, written at connect and disconnect of a 3.1.1 session, and at start for a
 * stored session that has no record, counting from that start. A configured record takes the value configured at
 * each start, and goes when the setting is 0. An MQTT 5 session of 0xFFFFFFFF asked never to expire and keeps
 * that: it gets a record saying so, which tells it apart at start from a session with no interval of its own.
 * Without the setting, such sessions have no record and are kept, as before.
 */
import type { Client } from 'aedes'
import type { Logger } from '../../../src/ports/logger.js'
import { OrderedTableWrites } from '../ordered-table-writes.js'
import type { BrokerStore } from '../persistence.js'

/** Session Expiry Interval that never expires. */
const NEVER = 0xffffffff
/** setTimeout's longest delay; longer intervals (up to ~136 years) are waited for in steps. */
const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * A session's interval (seconds) and, once its connection closed, when (ms since the epoch). `configured`: the
 * interval is mqtt.persistentSessionExpiry's, not the client's; NEVER: an MQTT 5 session that never expires.
 */
interface ExpiryRecord {
  interval: number
  disconnectedAt?: number
  configured?: true
}

interface SessionClient {
  id: string
  version?: number | null
  clean?: boolean
  sessionExpiryInterval?: number
}

/** The parts of aedes this correction wraps or reads (aedes.js; the typings leave them out). */
export interface ExpiringAedes {
  clients: Record<string, unknown>
  _takingOver: Set<string>
  scheduleSessionExpiry(client: SessionClient): void
  clearSessionExpiry(clientId: string): void
  on(event: 'client', listener: (client: Client) => void): unknown
  on(event: 'closed', listener: () => void): unknown
}

type ExpiryStore = Pick<BrokerStore, 'table' | 'cleanSubscriptions' | 'onSessionEnded'> & Partial<Pick<BrokerStore, 'storedSessionIds'>>

function expires(interval: unknown): interval is number {
  return typeof interval === 'number' && interval > 0 && interval < NEVER
}

function parseRecord(value: string): ExpiryRecord | undefined {
  try {
    const record = JSON.parse(value) as Partial<ExpiryRecord>
    if (record.interval === NEVER) return { interval: NEVER }
    if (!expires(record.interval)) return undefined
    return {
      interval: record.interval,
      ...(typeof record.disconnectedAt === 'number' ? { disconnectedAt: record.disconnectedAt } : {}),
      ...(record.configured === true ? { configured: true as const } : {}),
    }
  } catch {
    return undefined
  }
}

export class StoredSessionExpiry {
  private readonly table: ReturnType<BrokerStore['table']>
  /** Client ids with a record, so a session that never had one costs no delete. */
  private readonly recorded = new Set<string>()
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private readonly writes: OrderedTableWrites
  private closed = false

  constructor(
    private readonly aedes: ExpiringAedes,
    private readonly store: ExpiryStore,
    private readonly log: Logger,
    /** mqtt.persistentSessionExpiry in seconds, for sessions with no interval of their own; 0: they never expire. */
    private readonly configuredSeconds = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.table = store.table('postbridge-session-expiry')
    this.writes = new OrderedTableWrites(this.table, log, 'mqtt session expiry not saved')
    const schedule = aedes.scheduleSessionExpiry.bind(aedes)
    aedes.scheduleSessionExpiry = (client) => {
      this.disconnected(client)
      schedule(client)
    }
    const clear = aedes.clearSessionExpiry.bind(aedes)
    aedes.clearSessionExpiry = (clientId) => {
      this.disarm(clientId)
      clear(clientId)
    }
    aedes.on('client', (client) => this.connected(client as unknown as SessionClient))
    aedes.on('closed', () => {
      this.closed = true
      for (const id of [...this.timers.keys()]) this.disarm(id)
    })
    // However a session ends (Clean Start, expiry, a removed owner), its record goes with it.
    store.onSessionEnded((clientId) => {
      if (this.aedes.clients[clientId] === undefined) this.forget(clientId)
    })
  }

  /** Reads the records: ends the sessions whose time has passed, arms a timer for the others. Before the listeners start. */
  async start(): Promise<void> {
    const now = this.now()
    const due: string[] = []
    const settle = (clientId: string, record: ExpiryRecord, written: ExpiryRecord | undefined) => {
      if (written === undefined || written.interval !== record.interval || written.disconnectedAt === undefined) {
        this.remember(clientId, { ...record, disconnectedAt: record.disconnectedAt ?? now })
      }
      const left = (record.disconnectedAt ?? now) + record.interval * 1000 - now
      if (left <= 0) due.push(clientId)
      else this.arm(clientId, left)
    }
    for await (const [clientId, value] of this.table.iterator()) {
      this.recorded.add(clientId)
      const written = parseRecord(value)
      if (!written || (written.configured && this.configuredSeconds === 0)) {
        this.forget(clientId)
        continue
      }
      if (written.interval === NEVER) continue
      settle(clientId, written.configured ? { ...written, interval: this.configuredSeconds } : written, written)
    }
    if (this.configuredSeconds > 0 && this.store.storedSessionIds) {
      // Sessions stored with no record: no interval of their own (3.1.1, or stored before these records existed).
      for (const clientId of await this.store.storedSessionIds()) {
        if (!this.recorded.has(clientId)) settle(clientId, { interval: this.configuredSeconds, configured: true }, undefined)
      }
    }
    for (const clientId of due) await this.expire(clientId)
    await this.flush()
  }

  /** Resolves once the records asked for so far are written. */
  flush(): Promise<void> {
    return this.writes.flush()
  }

  /** The record a session of `client` gets, if any: its own interval, or the configured one when it has none. */
  private recordOf(client: SessionClient): ExpiryRecord | undefined {
    if (client.version === 5) {
      if (expires(client.sessionExpiryInterval)) return { interval: client.sessionExpiryInterval }
      // Said apart at start from a stored session with no record only when that matters.
      if (client.sessionExpiryInterval === NEVER && this.configuredSeconds > 0) return { interval: NEVER }
      return undefined
    }
    if (client.clean === false && this.configuredSeconds > 0) return { interval: this.configuredSeconds, configured: true }
    return undefined
  }

  private connected(client: SessionClient): void {
    const record = this.recordOf(client)
    if (record) this.remember(client.id, record)
    else this.forget(client.id)
  }

  private disconnected(client: SessionClient): void {
    // A takeover in flight: the new connection owns the session (aedes skips it too).
    if (this.aedes._takingOver.has(client.id)) return
    const record = this.recordOf(client)
    if (!record) {
      this.forget(client.id)
      return
    }
    this.remember(client.id, { ...record, disconnectedAt: this.now() })
    // aedes times only MQTT 5 intervals of the client's own; a reconnect disarms this as it clears aedes' timer.
    if (record.configured) this.arm(client.id, record.interval * 1000)
  }

  private arm(clientId: string, delayMs: number): void {
    this.disarm(clientId)
    const step = Math.min(delayMs, MAX_TIMEOUT_MS)
    const timer = setTimeout(() => {
      this.timers.delete(clientId)
      if (delayMs > step) this.arm(clientId, delayMs - step)
      else this.expire(clientId).catch((err: unknown) => this.log.error({ err, clientId }, 'mqtt stored session not expired'))
    }, step)
    timer.unref()
    this.timers.set(clientId, timer)
  }

  private disarm(clientId: string): void {
    const timer = this.timers.get(clientId)
    if (timer === undefined) return
    clearTimeout(timer)
    this.timers.delete(clientId)
  }

  private async expire(clientId: string): Promise<void> {
    if (this.closed || this.aedes.clients[clientId] !== undefined) return
    await this.store.cleanSubscriptions({ id: clientId })
    this.log.info({ clientId }, 'mqtt stored session expired')
  }

  private remember(clientId: string, record: ExpiryRecord): void {
    this.recorded.add(clientId)
    const value = JSON.stringify(record)
    this.writes.put(clientId, value)
  }

  private forget(clientId: string): void {
    if (!this.recorded.delete(clientId)) return
    this.writes.del(clientId)
  }
}
