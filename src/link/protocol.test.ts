import { describe, expect, it } from 'vitest'
import { linkUrl } from './protocol.js'

describe('linkUrl', () => {
  it('uses wss:// for an https:// edge and appends /v1/link', () => {
    expect(linkUrl('https://postbridge.example.workers.dev')).toBe('wss://postbridge.example.workers.dev/v1/link')
  })
  it('uses ws:// for an http:// edge (wrangler dev) and keeps the port', () => {
    expect(linkUrl('http://127.0.0.1:8787/')).toBe('ws://127.0.0.1:8787/v1/link')
  })
  it('keeps a base path in front of /v1/link', () => {
    expect(linkUrl('https://example.com/pb/')).toBe('wss://example.com/pb/v1/link')
  })
  it('refuses a scheme other than http(s)', () => {
    expect(() => linkUrl('mqtt://example.com')).toThrow(/http/)
  })
})
