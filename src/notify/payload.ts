/** Reads what a door sensor published: `open`/`closed`, `1`/`0`, `true`/`false`, JSON, or a Last Will. */
import { tryDecodeUtf8 } from '../util/bytes.js'
import type { PayloadConfig } from './config.js'
import type { BatteryReading, DoorState, Input } from './model.js'

export interface ParsedPayload {
  input: Input
  /** Set when the payload said nothing we understood; the message still counts as a sign of life. */
  unrecognised?: string
}

/** Above this a "volts" field must be millivolts: ESP.getVcc() reports 3312 for 3.312 V. */
const MILLIVOLT_THRESHOLD = 100

function doorFrom(value: unknown, config: PayloadConfig): DoorState | undefined {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined
  const text = String(value).trim().toLowerCase()
  if (config.openValues.some((v) => v.toLowerCase() === text)) return 'open'
  if (config.closedValues.some((v) => v.toLowerCase() === text)) return 'closed'
  return undefined
}

function numberFrom(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  return Number.isFinite(n) ? n : undefined
}

/** `a.b` reaches into nested objects, for devices that group their readings. */
function field(obj: Record<string, unknown>, path: string): unknown {
  if (path in obj) return obj[path]
  let node: unknown = obj
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function batteryFrom(obj: Record<string, unknown>, config: PayloadConfig): BatteryReading | undefined {
  const volts = numberFrom(field(obj, config.batteryField))
  if (volts !== undefined && volts > 0) {
    const v = volts > MILLIVOLT_THRESHOLD ? volts / 1000 : volts
    if (v < MILLIVOLT_THRESHOLD) return { value: Math.round(v * 1000) / 1000, unit: 'V' }
  }
  const pct = numberFrom(field(obj, config.batteryPctField))
  if (pct !== undefined && pct >= 0 && pct <= 100) return { value: pct, unit: '%' }
  return undefined
}

/** What a sensor message means, per the sensor's payload settings. Never throws: devices send all sorts. */
export function parseSensorPayload(payload: Uint8Array, config: PayloadConfig): ParsedPayload {
  const text = tryDecodeUtf8(payload)?.trim()
  if (text === undefined) return { input: { type: 'message', reading: {} }, unrecognised: '(binary payload)' }
  if (text === '') return { input: { type: 'message', reading: {} } }
  if (config.willValues.some((v) => v.toLowerCase() === text.toLowerCase())) return { input: { type: 'will' } }

  if (text.startsWith('{')) {
    let obj: unknown
    try {
      obj = JSON.parse(text)
    } catch {
      return { input: { type: 'message', reading: {} }, unrecognised: text.slice(0, 100) }
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
      return { input: { type: 'message', reading: {} }, unrecognised: text.slice(0, 100) }
    const record = obj as Record<string, unknown>
    const door = doorFrom(field(record, config.stateField), config)
    const battery = batteryFrom(record, config)
    const reading = { ...(door ? { door } : {}), ...(battery ? { battery } : {}) }
    return door || battery ? { input: { type: 'message', reading } } : { input: { type: 'message', reading }, unrecognised: text.slice(0, 100) }
  }

  const door = doorFrom(text, config)
  if (door) return { input: { type: 'message', reading: { door } } }
  return { input: { type: 'message', reading: {} }, unrecognised: text.slice(0, 100) }
}
