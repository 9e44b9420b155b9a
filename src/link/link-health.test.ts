import { describe, expect, it } from 'vitest'
import { isLinkDegraded, LINK_FAILING_AFTER_MS } from './link-health.js'

describe('home health from the edge link (issue 11)', () => {
  it('is degraded at once while the edge refuses the secret', () => {
    expect(isLinkDegraded('refused', 1000, 1000)).toBe(true)
  })
  it('is not degraded while online, nor while reconnecting for a short while', () => {
    expect(isLinkDegraded('online', 0, 10 * LINK_FAILING_AFTER_MS)).toBe(false)
    expect(isLinkDegraded('connecting', 0, LINK_FAILING_AFTER_MS - 1)).toBe(false)
  })
  it('is degraded once the link has been down for long', () => {
    expect(isLinkDegraded('offline', 0, LINK_FAILING_AFTER_MS)).toBe(true)
    expect(isLinkDegraded('connecting', 0, LINK_FAILING_AFTER_MS + 1)).toBe(true)
  })
})
