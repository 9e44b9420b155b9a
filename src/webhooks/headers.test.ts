import { describe, expect, it } from 'vitest'
import { checkHeaders } from './headers.js'

describe('checkHeaders', () => {
  it('accepts ordinary headers such as Authorization', () => {
    expect(checkHeaders({ Authorization: 'Bearer abc', 'X-Source': 'postbridge' })).toBeUndefined()
  })

  it.each([
    [{ 'Content-Type': 'text/plain' }, 'set by Postbridge'],
    [{ 'webhook-signature': 'v1,x' }, 'set by Postbridge'],
    [{ Host: 'evil' }, 'set by Postbridge'],
    [{ 'X-A': 'a\r\nX-Injected: 1' }, 'line break'],
    [{ 'bad name': 'x' }, 'not a valid header name'],
    [{ 'X-A': '1', 'x-a': '2' }, 'given twice'],
  ])('refuses %j', (headers, reason) => {
    expect(checkHeaders(headers as Record<string, string>)).toContain(reason)
  })
})
