import { describe, expect, it } from 'vitest'
import { createTestApp } from './testing/test-app.js'

describe('an unhandled error', () => {
  it('is answered with a bare 500 naming the request id the caller sent, and logged with it', async () => {
    const t = await createTestApp()
    t.tokens.get = async () => {
      throw new Error('disk on fire')
    }
    const res = await t.call('/v1/whoami', { headers: { 'x-request-id': 'req-42' } })
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const problem = (await res.json()) as { code: number; detail: string; requestId: string }
    expect(problem).toMatchObject({ code: 50010, detail: 'request req-42 failed; the server log has it', requestId: 'req-42' })
    expect(JSON.stringify(problem)).not.toMatch(/disk on fire/)
    const logged = t.log.lines.find((l) => l.msg === 'unhandled error')?.obj as { requestId?: string; err?: string } | undefined
    expect(logged).toMatchObject({ requestId: 'req-42' })
    expect(logged?.err).toMatch(/disk on fire/)
  })

  it('gets a fresh request id when the caller sent none', async () => {
    const t = await createTestApp()
    t.tokens.get = async () => {
      throw new Error('disk on fire')
    }
    const problem = (await (await t.call('/v1/whoami')).json()) as { detail: string; requestId: string }
    expect(problem.requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(problem.detail).toBe(`request ${problem.requestId} failed; the server log has it`)
  })
})
