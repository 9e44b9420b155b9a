/**
 * Warm-ups that last long enough for V8 to have optimised the path: Postbridge lets the optimising compiler go only
 * after a second in which it was busy (broker/v8-hold.ts), and V8 then needs a moment to optimise what the load made
 * hot. A warm-up counted in requests alone can end before that on a fast machine.
 */
export const WARM_MS = 3000

/** Runs `once` again and again until `ms` have passed (at least once). */
export async function warmFor(once: () => Promise<unknown>, ms = WARM_MS): Promise<void> {
  const until = performance.now() + ms
  do await once()
  while (performance.now() < until)
}
