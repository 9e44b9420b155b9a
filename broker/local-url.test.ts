import { describe, expect, it } from 'vitest'
import { localUrl } from './local-url.js'

describe('localUrl', () => {
  it('reaches a wildcard bind on loopback', () => {
    expect(localUrl('http', '0.0.0.0', 8080)).toBe('http://127.0.0.1:8080')
    expect(localUrl('https', '::', 8443)).toBe('https://127.0.0.1:8443')
  })

  it('brackets an IPv6 literal and keeps a name or IPv4 address as it is', () => {
    expect(localUrl('http', '::1', 80)).toBe('http://[::1]:80')
    expect(localUrl('http', 'pi.local', 80)).toBe('http://pi.local:80')
    expect(localUrl('http', '192.168.1.5', 8080)).toBe('http://192.168.1.5:8080')
  })
})
