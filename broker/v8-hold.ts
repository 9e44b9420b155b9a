/**
 * What V8 is held back from while the home node starts, and when each is given back. Both holds cost an idle node
 * memory it would keep for as long as it runs, and neither changes how the node runs under load.
 *
 * - The young generation, until ready. Start-up allocates much that lives on (modules, schemas, routes): V8 answers
 *   by doubling the young generation at each scavenge, up to 2 x 16 MB, and an idle node keeps that memory. Holding
 *   the growth at 1x until ready keeps it at its initial size; released, it grows under load exactly as before. The
 *   flag is read at each scavenge, so setting it while running takes effect from the next one.
 * - The optimising compiler (TurboFan), until the node is busy (broker/load-watch.ts). Whatever function V8 first
 *   optimises, that first optimisation touches the compiler's own code (~3.5 MB of the node binary) and leaves the
 *   compiler threads' allocator arenas holding their peak, for the life of the process. Start-up runs a few
 *   functions often enough to be optimised (Node's path handling while modules resolve), and so, after minutes,
 *   does an idle node's own periodic work (the `$SYS` ticks). Neither needs optimised code: bytecode and V8's
 *   baseline compiler serve a house's devices. The first burst (a hundred requests, connects or messages within a
 *   second) lets the compiler go, and from there V8 optimises what load makes hot, as before: code run that often
 *   costs ~4x the CPU as bytecode. The flag is read each time V8 considers optimising a function. A node started
 *   with its own choice of compiler flags (NODE_OPTIONS or node's arguments) keeps that choice.
 */
import { setFlagsFromString } from 'node:v8'

/** V8's own default for --semi-space-growth-factor. */
const DEFAULT_GROWTH_FACTOR = 2

/** Node or V8 flags by which the user chose the compilers themselves: the compiler hold leaves those nodes alone. */
const COMPILER_CHOICE = /^--(no-)?(opt|turbofan|jitless|always-opt|always-turbofan|maglev)(=|$)/

export function userChoseCompilers(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) => COMPILER_CHOICE.test(arg.replaceAll('_', '-')))
}

let compilerHeld = false

export function holdDuringStartUp(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  if (!userChoseCompilers(process.execArgv, process.env.NODE_OPTIONS)) {
    setFlagsFromString('--no-turbofan')
    compilerHeld = true
  }
}

/** The young generation's default back, once ready; harmless when nothing was held (the sources run by tsx). */
export function releaseAfterStartUp(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`)
}

/** Whether the optimising compiler is held: only then is there a reason to watch for load. */
export function isCompilerHeld(): boolean {
  return compilerHeld
}

/** The optimising compiler back: the node is busy, or it runs a command other than start. */
export function releaseCompiler(): void {
  if (!compilerHeld) return
  setFlagsFromString('--turbofan')
  compilerHeld = false
}
