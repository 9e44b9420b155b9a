/**
 * Tells once when the home node comes under load: a window in which its event loop was busy for at least a given
 * share of the time. Work (a request, a message) opens a window when none is open, so an idle node holds no timer
 * and wakes for nothing; a node that is never busy is never told.
 *
 * The event loop's utilisation is Node's own measure (performance.eventLoopUtilization): time spent running
 * callbacks against time spent waiting, which counts any work, whatever started it.
 */
import { performance } from 'node:perf_hooks'

export interface LoadWatch {
  /** Call on each unit of work: opens a window unless one is open, and costs nothing once the node has been busy. */
  activity(): void
  /** Settles the first time a window was busy enough. */
  readonly busy: Promise<void>
  /** Stops watching: an open window is dropped and `busy` stays pending. */
  close(): void
}

export interface LoadWatchOptions {
  /** How long one window lasts. */
  windowMs: number
  /** The share of a window the event loop must have been busy, 0..1. */
  busyShare: number
  /** The event loop's utilisation since `start` (a reading it returned earlier); Node's by default. */
  utilisation?: Utilisation
}

/** The event loop's utilisation over the time since `start` was read (a fresh reading without `start`). */
export type Utilisation = (start?: EventLoopReading) => EventLoopReading
export interface EventLoopReading {
  /** 0..1: the share of the time the loop was running callbacks. */
  utilization: number
}

const nodeUtilisation: Utilisation = (start) =>
  start ? performance.eventLoopUtilization(start as ReturnType<typeof performance.eventLoopUtilization>) : performance.eventLoopUtilization()

/**
 * A second in which the loop was busy half the time: far beyond what a house's devices ask of a node, reached in the
 * first second of a burst, and not by a single slow piece of work (the first request loads Hono's adapter and Node's
 * fetch classes: ~50 ms here, a few hundred on a small board).
 */
export const DEFAULT_LOAD: LoadWatchOptions = { windowMs: 1000, busyShare: 0.5 }

export function watchForLoad(options: LoadWatchOptions = DEFAULT_LOAD): LoadWatch {
  const utilisation = options.utilisation ?? nodeUtilisation
  let settle!: () => void
  const busy = new Promise<void>((resolve) => {
    settle = resolve
  })
  let done = false
  let window: ReturnType<typeof setTimeout> | undefined
  const activity = () => {
    if (done || window) return
    const start = utilisation()
    window = setTimeout(() => {
      window = undefined
      if (utilisation(start).utilization < options.busyShare) return
      done = true
      settle()
    }, options.windowMs)
    // The window never keeps the process alive: a node shutting down does not wait for it.
    window.unref?.()
  }
  return {
    activity,
    busy,
    close() {
      done = true
      clearTimeout(window)
      window = undefined
    },
  }
}
