/** Battery policy: the low threshold with hysteresis, and the days left estimated from the trend. Pure. */
import type { BatteryReading, BatterySample, BatteryUnit } from './model.js'

/** Used when a sensor sets no threshold in the unit it reports: a 1S Li-ion cell behind an LDO browns out a little below 3.3 V. */
export const DEFAULT_LOW: Record<BatteryUnit, number> = { V: 3.3, '%': 20 }
/**
 * How far above the threshold a reading must come back before battery_low may fire again. A cell's voltage
 * sags under the Wi-Fi transmit load and recovers at rest, so readings wander ~0.05 V around the threshold.
 */
export const HYSTERESIS: Record<BatteryUnit, number> = { V: 0.1, '%': 5 }

/** A rise this large is a new battery, not noise or recovery after the transmit load. */
const FRESH_BATTERY_JUMP: Record<BatteryUnit, number> = { V: 0.2, '%': 15 }
/** One sample per hour is plenty for a trend over weeks and keeps the state small. */
const SAMPLE_SPACING_MS = 3_600_000
const MAX_SAMPLES = 200
const MAX_SAMPLE_AGE_MS = 60 * 86_400_000
/** Below a day of history, ADC noise (~0.02 V) swamps the slope of a battery that lasts months. */
const MIN_TREND_SPAN_MS = 86_400_000
const MIN_TREND_SAMPLES = 3
/** Beyond ten years an estimate says nothing useful. */
const MAX_DAYS = 3650

/** The threshold for readings in `unit`: the sensor's own when it is in that unit, else the default. */
export function lowThreshold(configured: BatteryReading | undefined, unit: BatteryUnit): number {
  return configured && configured.unit === unit ? configured.value : DEFAULT_LOW[unit]
}

export interface CrossingResult {
  armed: boolean
  crossed: boolean
}

/** battery_low fires once per crossing and re-arms only after recovery above threshold + hysteresis. */
export function checkCrossing(armed: boolean, reading: BatteryReading, threshold: number): CrossingResult {
  if (armed && reading.value < threshold) return { armed: false, crossed: true }
  if (!armed && reading.value >= threshold + HYSTERESIS[reading.unit]) return { armed: true, crossed: false }
  return { armed, crossed: false }
}

/**
 * Adds a reading to the trend history. A large jump upward means a fresh battery: the old history describes
 * another cell and is dropped.
 */
export function addSample(samples: BatterySample[], value: number, unit: BatteryUnit, at: number): BatterySample[] {
  const last = samples[samples.length - 1]
  if (last && value > last.value + FRESH_BATTERY_JUMP[unit]) return [{ at, value }]
  const kept = samples.filter((s) => at - s.at <= MAX_SAMPLE_AGE_MS)
  const previous = kept[kept.length - 1]
  // One sample per clock hour, the newest of that hour: a burst of door messages must not outweigh weeks of heartbeats.
  if (previous && Math.floor(previous.at / SAMPLE_SPACING_MS) === Math.floor(at / SAMPLE_SPACING_MS)) kept[kept.length - 1] = { at, value }
  else kept.push({ at, value })
  return kept.slice(-MAX_SAMPLES)
}

/**
 * Days until the battery reaches `threshold`, from a least-squares line through the samples; undefined while
 * the history is too short or does not fall. 0 once the line is at or below the threshold.
 */
export function estimateDaysLeft(samples: BatterySample[], threshold: number, now: number): number | undefined {
  if (samples.length < MIN_TREND_SAMPLES) return undefined
  const first = samples[0]!
  const last = samples[samples.length - 1]!
  if (last.at - first.at < MIN_TREND_SPAN_MS) return undefined
  // Fit in days from the first sample to keep the numbers small.
  const xs = samples.map((s) => (s.at - first.at) / 86_400_000)
  const ys = samples.map((s) => s.value)
  const n = samples.length
  const meanX = xs.reduce((a, b) => a + b, 0) / n
  const meanY = ys.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - meanX) * (ys[i]! - meanY)
    sxx += (xs[i]! - meanX) ** 2
  }
  if (sxx === 0) return undefined
  const slopePerDay = sxy / sxx
  if (slopePerDay >= 0) return undefined
  const nowX = (now - first.at) / 86_400_000
  const fittedNow = meanY + slopePerDay * (nowX - meanX)
  const days = (fittedNow - threshold) / -slopePerDay
  if (days <= 0) return 0
  return days > MAX_DAYS ? undefined : Math.round(days * 10) / 10
}
