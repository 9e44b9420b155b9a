import { describe, expect, it } from 'vitest'
import { LoginThrottle } from './login-throttle.js'

const opts = { backoffAfter: 3, refuseAfter: 6, windowMs: 60_000 }

describe('LoginThrottle', () => {
  it('lets attempts go until backoffAfter failures, then waits 250 ms doubling, then refuses at refuseAfter', () => {
    const t = new LoginThrottle(opts)
    const keys = ['addr:10.0.0.9', 'user:relay1']
    const seen = []
    for (let i = 0; i < 7; i++) {
      seen.push(t.verdict(keys, 1000))
      t.failed(keys, 1000)
    }
    expect(seen).toEqual([
      { kind: 'go' },
      { kind: 'go' },
      { kind: 'go' },
      { kind: 'wait', ms: 250 },
      { kind: 'wait', ms: 500 },
      { kind: 'wait', ms: 1000 },
      { kind: 'refuse' },
    ])
  })

  it('takes the strictest key: failures for a username slow it down from any address', () => {
    const t = new LoginThrottle(opts)
    for (let i = 0; i < 6; i++) t.failed([`addr:10.0.0.${i}`, 'user:relay1'], 0)
    expect(t.verdict(['addr:10.0.0.200', 'user:relay1'], 10)).toEqual({ kind: 'refuse' })
    expect(t.verdict(['addr:10.0.0.200', 'user:lamp'], 10)).toEqual({ kind: 'go' })
  })

  it('forgets failures after the window, and a success clears only the key it is given', () => {
    const t = new LoginThrottle(opts)
    for (let i = 0; i < 6; i++) t.failed(['addr:a', 'user:u'], 0)
    t.succeeded('user:u')
    expect(t.verdict(['user:u'], 1)).toEqual({ kind: 'go' })
    expect(t.verdict(['addr:a'], 1)).toEqual({ kind: 'refuse' })
    expect(t.verdict(['addr:a'], 60_000)).toEqual({ kind: 'go' })
  })

  it('caps the wait at 8 s and remembers at most maxKeys keys', () => {
    const t = new LoginThrottle({ ...opts, refuseAfter: 100, maxKeys: 2 })
    for (let i = 0; i < 50; i++) t.failed(['addr:a'], 0)
    expect(t.verdict(['addr:a'], 0)).toEqual({ kind: 'wait', ms: 8000 })
    t.failed(['addr:b'], 0)
    t.failed(['addr:c'], 0)
    expect(t.verdict(['addr:a'], 0)).toEqual({ kind: 'go' })
  })
})
