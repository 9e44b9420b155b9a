/**
 * What V8 is held back from while the home node starts, and given back once it is ready. Both holds cost an idle
 * node memory it would keep for as long as it stays idle, and neither changes how the node runs under load.
 *
 * - The young generation. Start-up allocates much that lives on (modules, schemas, routes): V8 answers by doubling
 *   the young generation at each scavenge, up to 2 x 16 MB, and an idle node keeps that memory. Holding the growth at
 *   1x until ready keeps it at its initial size; released, it grows under load exactly as before. The flag is read at
 *   each scavenge, so setting it while running takes effect from the next one.
 * - The optimising compiler (TurboFan). Start-up runs a few functions often enough (Node's path handling while
 *   modules resolve) for V8 to optimise them, which nothing needs once start-up is over; each optimisation touches
 *   the compiler's own code (megabytes of the node binary) and leaves the compiler threads' allocator arenas holding
 *   their peak. Held, those functions run as bytecode until ready (idle RSS at rest -4.5 MB); released, V8 optimises
 *   what load makes hot from the next tick, as before. The flag is read each time V8 considers optimising a function.
 *   A node started with its own choice of compiler flags (NODE_OPTIONS or node's arguments) keeps that choice.
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

/** Gives V8 its defaults back; harmless when nothing was held (a command other than start, or the sources run by tsx). */
export function releaseAfterStartUp(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`)
  if (compilerHeld) {
    setFlagsFromString('--turbofan')
    compilerHeld = false
  }
}
