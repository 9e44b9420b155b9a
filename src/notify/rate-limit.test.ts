import { describe, expect, it } from 'vitest'
import type { Alert } from './model.js'
import { admit, emptyWindow, RATE_WINDOW_MS, summaryDueAt, takeHeld, type RateWindow } from './rate-limit.js'

const T0 = Date.UTC(2024, 0, 1)
const alert = (i: number): Alert => ({ id: `a${i}`, title: `alert ${i}`, body: '', priority: 3, tags: [], at: T0 + i })

describe('rate limit', () => {
  it('lets the first N through in an hour and holds the rest', () => {
    let w: RateWindow = emptyWindow()
    const allowed: boolean[] = []
    for (let i = 0; i < 5; i++) {
      const r = admit(w, alert(i), T0 + i * 1000, 3)
      w = r.window
      allowed.push(r.allowed)
    }
    expect(allowed).toEqual([true, true, true, false, false])
    expect(w.heldCount).toBe(2)
    expect(summaryDueAt(w)).toBe(T0 + RATE_WINDOW_MS)
  })

  it('has room again once the oldest send leaves the sliding hour', () => {
    let w = emptyWindow()
    for (let i = 0; i < 3; i++) w = admit(w, alert(i), T0 + i * 1000, 3).window
    expect(admit(w, alert(9), T0 + RATE_WINDOW_MS - 1, 3).allowed).toBe(false)
    expect(admit(w, alert(9), T0 + RATE_WINDOW_MS + 1, 3).allowed).toBe(true)
  })

  it('hands over the held alerts once there is room, counting the summary as a send', () => {
    let w = emptyWindow()
    for (let i = 0; i < 4; i++) w = admit(w, alert(i), T0 + i, 3).window
    expect(takeHeld(w, T0 + 10, 3)).toBeUndefined()
    const taken = takeHeld(w, T0 + RATE_WINDOW_MS + 1, 3)!
    expect([taken.count, taken.held.map((a) => a.id)]).toEqual([1, ['a3']])
    expect(taken.window.heldCount).toBe(0)
    expect(taken.window.sentAt).toEqual([T0 + 2, T0 + RATE_WINDOW_MS + 1])
    expect(summaryDueAt(taken.window)).toBeUndefined()
  })
})
