/** Whether home's link to the edge makes home's own /v1/health `degraded`: refused, or down for long. */

/** A link down this long is failing, not reconnecting: longer than a Worker deploy or a router reboot takes. */
export const LINK_FAILING_AFTER_MS = 60_000

export type HomeLinkState = 'connecting' | 'online' | 'offline' | 'refused'

/** Refused (the edge does not take home's secret) is degraded at once; down is degraded after `failingAfterMs`. */
export function isLinkDegraded(state: HomeLinkState, downSinceMs: number, nowMs: number, failingAfterMs = LINK_FAILING_AFTER_MS): boolean {
  if (state === 'refused') return true
  if (state === 'online') return false
  return nowMs - downSinceMs >= failingAfterMs
}
