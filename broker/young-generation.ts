/**
 * V8's young generation while the home node starts. Start-up allocates much that lives on (modules, schemas, routes):
 * V8 answers by doubling the young generation at each scavenge, up to 2 x 16 MB, and an idle node keeps that memory.
 * Holding the growth at 1x until ready keeps it at its initial size; released, it grows under load exactly as before.
 * The flag is read at each scavenge, so setting it while running takes effect from the next one.
 */
import { setFlagsFromString } from 'node:v8'

/** V8's own default for --semi-space-growth-factor. */
const DEFAULT_GROWTH_FACTOR = 2

export function holdYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
}

export function releaseYoungGeneration(): void {
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`)
}
