/**
 * The edge notices that the link went quiet: home cannot tell anyone its internet is down, so the edge does. When
 * the link has been down longer than POSTBRIDGE_EDGE_LINK_QUIET it sends one alert to the notifiers named in
 * POSTBRIDGE_EDGE_LINK_NOTIFY, and one "back" alert when home links again. What was sent is kept in Durable Object
 * SQLite (EdgeStats), so an evicted object neither repeats the alert nor forgets to say "back".
 */
import { ConfigError, parseDuration } from '../../src/config.js'
import { clockTime } from '../../src/notify/format.js'
import type { Alert } from '../../src/notify/model.js'
import { describeDuration } from '../../src/util/duration.js'
import type { EdgeStats } from './edge-stats.js'

export interface LinkQuietSettings {
  /** Undefined when off (the var set empty). */
  quietMs?: number
  notifierIds: string[]
}

/** Long enough that a home router's reboot or a Worker deploy (which drops the link) stays silent. */
export const DEFAULT_LINK_QUIET_MS = 10 * 60_000

export interface LinkQuietVars {
  POSTBRIDGE_EDGE_LINK_QUIET?: string
  POSTBRIDGE_EDGE_LINK_NOTIFY?: string
}

/** Reads the two vars; throws a ConfigError naming each bad one. Unset means 10m; empty means off. */
export function parseLinkQuietSettings(vars: LinkQuietVars): LinkQuietSettings {
  const raw = vars.POSTBRIDGE_EDGE_LINK_QUIET
  const notifierIds = (vars.POSTBRIDGE_EDGE_LINK_NOTIFY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (raw === '') return { notifierIds }
  const quietMs = raw === undefined ? DEFAULT_LINK_QUIET_MS : parseDuration(raw)
  if (quietMs === undefined || quietMs <= 0)
    throw new ConfigError([`POSTBRIDGE_EDGE_LINK_QUIET: "${raw}" is not a duration (use 90s, 15m or 1h; empty for off)`])
  return { quietMs, notifierIds }
}

export interface LinkQuietDeps {
  settings: LinkQuietSettings
  stats: EdgeStats
  isOnline(): boolean
  now(): number
  newId(): string
  send(notifierIds: string[], alert: Alert): void
}

// Workers run in UTC; the alerts say so rather than pretend to know home's time zone.
const UTC = () => 0
const hhmm = (ms: number) => clockTime(ms, UTC).slice(0, 5)

export class LinkQuietWatch {
  constructor(private readonly o: LinkQuietDeps) {}

  /** When the "down" alert is due: only while home is offline and this outage has not been announced. */
  nextDue(): number | undefined {
    const { quietMs, notifierIds } = this.o.settings
    if (quietMs === undefined || notifierIds.length === 0 || this.o.isOnline() || this.announced()) return undefined
    const since = this.downSince()
    return since === undefined ? undefined : since + quietMs
  }

  /** Sends the "down" alert when it is due (called by the alarm). */
  check(): void {
    const due = this.nextDue()
    const now = this.o.now()
    if (due === undefined || due > now) return
    const since = this.downSince()!
    this.o.stats.mark('linkQuietAlertedAt', now)
    this.o.send(this.o.settings.notifierIds, {
      id: this.o.newId(),
      title: `Postbridge home link is down since ${hhmm(since)}`,
      body: `no link from home for ${describeDuration(now - since)} (times in UTC); publishes at the edge wait in its queue, and you will hear when home is back`,
      priority: 4,
      tags: ['warning', 'electric_plug'],
      at: now,
    })
  }

  /** Home linked again: says "back" when the outage was announced. */
  onLinked(): void {
    if (!this.announced()) return
    const now = this.o.now()
    const since = this.o.stats.get('unlinkedAt')
    // Cleared first: a link taken over by the next one must not say "back" twice.
    this.o.stats.mark('linkQuietAlertedAt', 0)
    this.o.send(this.o.settings.notifierIds, {
      id: this.o.newId(),
      title: 'Postbridge home link is back',
      body: since === undefined ? `since ${hhmm(now)} UTC` : `down from ${hhmm(since)} to ${hhmm(now)} UTC (${describeDuration(now - since)})`,
      priority: 3,
      tags: ['white_check_mark'],
      at: now,
    })
  }

  private announced(): boolean {
    return (this.o.stats.get('linkQuietAlertedAt') ?? 0) > 0
  }

  /** When this outage began; undefined when home never linked or the close was not seen (then the hub marks it). */
  private downSince(): number | undefined {
    const unlinkedAt = this.o.stats.get('unlinkedAt')
    const linkedAt = this.o.stats.get('linkedAt') ?? 0
    return unlinkedAt !== undefined && unlinkedAt >= linkedAt ? unlinkedAt : undefined
  }
}
