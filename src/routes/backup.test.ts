import { describe, expect, it } from 'vitest'
import { createTestApp } from '../testing/test-app.js'

const snapshot = {
  contentType: 'application/vnd.sqlite3',
  async create() {
    return new Blob([new Uint8Array([1, 2, 3])]).stream()
  },
}

describe('GET /v1/backup', () => {
  it('streams the snapshot to an admin as an attachment', async () => {
    const t = await createTestApp({ backup: snapshot })
    const res = await t.call('/v1/backup')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.sqlite3')
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="postbridge-.*\.backup"$/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3])
  })

  it('is for admins only: a backup holds every secret', async () => {
    const t = await createTestApp({ backup: snapshot })
    const token = await t.mint({ publish: ['#'], read: ['#'] })
    expect((await t.call('/v1/backup', { token })).status).toBe(403)
  })

  it('leaves the calling token out when asked with omitCaller=true, and refuses unknown parameters', async () => {
    const seen: unknown[] = []
    const t = await createTestApp({ backup: { ...snapshot, create: async (opts) => (seen.push(opts), snapshot.create()) } })
    expect((await t.call('/v1/backup?omitCaller=true')).status).toBe(200)
    expect((await t.call('/v1/backup')).status).toBe(200)
    const admin = (await t.tokens.list()).find((r) => r.name === 'admin')!
    expect(seen).toEqual([{ omitTokenIds: [admin.id] }, {}])
    expect((await t.call('/v1/backup?omit=1')).status).toBe(400)
  })

  it('answers 501 where the runtime takes no backups', async () => {
    const t = await createTestApp()
    const res = await t.call('/v1/backup')
    expect(res.status).toBe(501)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
  })
})
