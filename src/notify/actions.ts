/**
 * Alert actions: buttons on a phone notification ("Turn on porch light") that publish one MQTT message. Each button
 * is a URL with a single-use token scoped to that one publish: the token is random, stored only as its SHA-256,
 * expires (1 hour by default), and a second use or a late one publishes nothing.
 */
import type { Bus } from '../ports/bus.js'
import type { Logger } from '../ports/logger.js'
import { sha256Hex, toBase64Url, utf8 } from '../util/bytes.js'
import type { ActionSpec } from './config.js'
import type { AlertAction, EventKind } from './model.js'

export interface ActionRecord {
  /** hex SHA-256 of the token. */
  hash: string
  label: string
  /** Without a topic the button only acknowledges the alert. */
  topic?: string
  payload: string
  qos: 0 | 1 | 2
  retain: boolean
  sensorId: string
  alertId: string
  expiresAt: number
  usedAt?: number
}

/** Where action tokens live: SQLite at home, a Map in tests. */
export interface ActionStore {
  put(record: ActionRecord): Promise<void>
  get(hash: string): Promise<ActionRecord | undefined>
  /** Marks the token used if it is unused and unexpired, atomically; true when this call took it. */
  take(hash: string, now: number): Promise<boolean>
  /** Gives a taken token back (its publish failed), so the button can be pressed again. */
  release(hash: string): Promise<void>
  /** Removes records that expired before `before`. */
  prune(before: number): Promise<void>
}

export type ActionOutcome =
  | { ok: true; record: ActionRecord }
  | { ok: false; reason: 'unknown' | 'used' | 'expired' | 'failed' | 'unavailable'; record?: ActionRecord }

export interface ActionServiceOptions {
  store: ActionStore
  bus: Bus
  now(): number
  log: Logger
  /** The address a phone reaches this node at, e.g. https://pi.example.net:8080 (no trailing slash). */
  publicUrl: string
  /** How long a button works. */
  ttlMs: number
}

/** 1 hour: long enough to read the alert, short enough that an old notification cannot open a door. */
export const DEFAULT_ACTION_TTL_MS = 60 * 60 * 1000

const hashOf = (token: string) => sha256Hex(token)

function newToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(24)))
}

export class ActionService {
  constructor(private readonly o: ActionServiceOptions) {}

  /** Mints one token per action that applies to this event; the alert carries their URLs. */
  async issue(sensorId: string, specs: ActionSpec[] | undefined, kind: EventKind, alertId: string): Promise<AlertAction[]> {
    const now = this.o.now()
    await this.o.store.prune(now)
    const out: AlertAction[] = []
    for (const spec of specs ?? []) {
      if (!spec.on.includes(kind)) continue
      const token = newToken()
      await this.o.store.put({
        hash: await hashOf(token),
        label: spec.label,
        ...(spec.topic !== undefined ? { topic: spec.topic } : {}),
        payload: spec.payload,
        qos: spec.qos,
        retain: spec.retain,
        sensorId,
        alertId,
        expiresAt: now + this.o.ttlMs,
      })
      out.push({ label: spec.label, token, url: `${this.o.publicUrl}/v1/actions/${token}` })
    }
    return out
  }

  /** What a token would do, without using it (the confirmation page). */
  async peek(token: string): Promise<ActionOutcome> {
    const record = await this.o.store.get(await hashOf(token))
    if (!record) return { ok: false, reason: 'unknown' }
    if (record.usedAt !== undefined) return { ok: false, reason: 'used', record }
    if (record.expiresAt <= this.o.now()) return { ok: false, reason: 'expired', record }
    return { ok: true, record }
  }

  /** Uses a token: publishes its message exactly once. */
  async use(token: string): Promise<ActionOutcome> {
    const hash = await hashOf(token)
    const now = this.o.now()
    if (!(await this.o.store.take(hash, now))) {
      const seen = await this.peek(token)
      return seen.ok ? { ok: false, reason: 'used', record: seen.record } : seen
    }
    const record = (await this.o.store.get(hash))!
    if (record.topic !== undefined) {
      try {
        await this.o.bus.publish({ topic: record.topic, payload: utf8(record.payload), qos: record.qos, retain: record.retain })
      } catch (err) {
        await this.o.store.release(hash)
        this.o.log.warn(
          { sensorId: record.sensorId, topic: record.topic, err: err instanceof Error ? err.message : String(err) },
          'alert action publish failed',
        )
        return { ok: false, reason: 'failed', record }
      }
    }
    this.o.log.info({ sensorId: record.sensorId, alertId: record.alertId, label: record.label, topic: record.topic }, 'alert action used')
    return { ok: true, record }
  }
}
