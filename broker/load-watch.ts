/**
 * Tells once when the home node comes under load: a given number of units of work (requests, messages) within one
 * window. The first unit opens a window, so an idle node holds no timer and wakes for nothing; a node that is never
 * that busy is never told.
 *
 * Work is counted rather than CPU time: what makes optimised code worth having is the same code run again and again,
 * and a burst counts from its start, also when it comes in short spurts between pauses (one slow request, such as
 * the first, which loads Hono's adapter, is a single unit).
 */

export interface LoadWatch {
  /** Call on each unit of work: costs a counter while watching, nothing once the node has been busy. */
  activity(): void
  /** Settles the first time a window held `busyCount` units. */
  readonly busy: Promise<void>
  /** Stops watching: an open window is dropped and `busy` stays pending. */
  close(): void
}

export interface LoadWatchOptions {
  /** How long one window lasts. */
  windowMs: number
  /** The units of work within one window that make the node busy. */
  busyCount: number
}

/** A hundred requests, connects or messages in a second: far beyond what a house's devices ask of a node, and the first moment of any burst. */
export const DEFAULT_LOAD: LoadWatchOptions = { windowMs: 1000, busyCount: 100 }

export function watchForLoad(options: LoadWatchOptions = DEFAULT_LOAD): LoadWatch {
  let settle!: () => void
  const busy = new Promise<void>((resolve) => {
    settle = resolve
  })
  let done = false
  let count = 0
  let window: ReturnType<typeof setTimeout> | undefined
  const stop = () => {
    done = true
    clearTimeout(window)
    window = undefined
  }
  return {
    activity() {
      if (done) return
      if (++count >= options.busyCount) {
        stop()
        settle()
        return
      }
      if (window) return
      window = setTimeout(() => {
        window = undefined
        count = 0
      }, options.windowMs)
      // The window never keeps the process alive: a node shutting down does not wait for it.
      window.unref?.()
    },
    busy,
    close: stop,
  }
}
