/** The contract every TokenStore adapter passes: describeTokenStore('name', () => freshStore). */
import { describe, expect, it } from 'vitest'
import { issueToken } from '../auth/token.js'
import type { TokenStore } from '../ports/token-store.js'

export function describeTokenStore(name: string, makeStore: () => Promise<TokenStore> | TokenStore): void {
  describe(`TokenStore contract: ${name}`, () => {
    const scope = { publish: ['home/#'], read: ['#'], admin: false }

    it('keeps every field of a token and lists tokens in creation order', async () => {
      const store = await makeStore()
      const late = await issueToken('late', { ...scope, admin: true }, 2000)
      const early = await issueToken('early', scope, 1000)
      await store.create(late.record)
      await store.create(early.record)
      expect(await store.get(early.record.id)).toEqual(early.record)
      expect(await store.get(late.record.id)).toEqual(late.record)
      expect((await store.list()).map((t) => t.name)).toEqual(['early', 'late'])
      expect(await store.get('no-such-token')).toBeUndefined()
    })

    it('refuses a second token with the same id', async () => {
      const store = await makeStore()
      const { record } = await issueToken('once', scope, 1000)
      await store.create(record)
      await expect(store.create({ ...record, name: 'twice' })).rejects.toThrow()
      expect((await store.get(record.id))?.name).toBe('once')
    })

    it('revokes a token once: true the first time, false after', async () => {
      const store = await makeStore()
      const { record } = await issueToken('gone', scope, 1000)
      await store.create(record)
      expect(await store.revoke(record.id)).toBe(true)
      expect(await store.revoke(record.id)).toBe(false)
      expect(await store.get(record.id)).toBeUndefined()
      expect(await store.list()).toEqual([])
    })

    it('records when a token was last used', async () => {
      const store = await makeStore()
      if (!store.touch) return
      const { record } = await issueToken('used', scope, 1000)
      await store.create(record)
      await store.touch(record.id, 5000)
      expect((await store.get(record.id))?.lastUsedAt).toBe(5000)
    })
  })
}
