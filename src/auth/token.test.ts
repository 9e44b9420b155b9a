import { describe, expect, it } from 'vitest'
import { MemoryTokenStore } from '../testing/memory-token-store.js'
import { sha256Hex } from '../util/bytes.js'
import { bearerFrom, canPublish, canReadFilter, canReadTopic, createTokenVerifier, ENV_ADMIN_RECORD, issueToken, verifyToken } from './token.js'

const scope = { publish: ['home/+/set'], read: ['home/#'], admin: false }

describe('tokens', () => {
  it('verifies an issued token and stores only its hash', async () => {
    const store = new MemoryTokenStore()
    const { token, record } = await issueToken('t', scope, 1)
    await store.create(record)
    expect(token).toMatch(/^pb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/)
    // The secret is what follows `pb_{id}_`; base64url may itself hold `_`, so it is not split on.
    const secret = token.slice('pb_'.length + record.id.length + 1)
    expect(secret).toHaveLength(43)
    expect(JSON.stringify(await store.list())).not.toContain(secret)
    expect((await verifyToken(store, token))?.id).toBe(record.id)
  })
  it('refuses a token whose secret differs by one character', async () => {
    const store = new MemoryTokenStore()
    const { token, record } = await issueToken('t', scope, 1)
    await store.create(record)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(await verifyToken(store, token.slice(0, -1) + last)).toBeUndefined()
  })
  it('refuses a revoked token', async () => {
    const store = new MemoryTokenStore()
    const { token, record } = await issueToken('t', scope, 1)
    await store.create(record)
    await store.revoke(record.id)
    expect(await verifyToken(store, token)).toBeUndefined()
  })
  it('accepts the environment admin token by its hash', async () => {
    const store = new MemoryTokenStore()
    const hash = await sha256Hex('a-long-admin-token-from-env')
    expect(await verifyToken(store, 'a-long-admin-token-from-env', hash)).toBe(ENV_ADMIN_RECORD)
    expect(await verifyToken(store, 'a-long-admin-token-from-enx', hash)).toBeUndefined()
  })
  it('reads only the Bearer scheme', () => {
    expect(bearerFrom('Bearer abc')).toBe('abc')
    expect(bearerFrom('bearer abc ')).toBe('abc')
    expect(bearerFrom('Basic abc')).toBeUndefined()
    expect(bearerFrom(undefined)).toBeUndefined()
  })
  it('checks scopes by topic filter', () => {
    expect(canPublish(scope, 'home/lamp/set')).toBe(true)
    expect(canPublish(scope, 'home/lamp/state')).toBe(false)
    expect(canReadTopic(scope, 'home/lamp/state')).toBe(true)
    expect(canReadFilter(scope, 'home/+/state')).toBe(true)
    expect(canReadFilter(scope, '#')).toBe(false)
  })
})

describe('createTokenVerifier', () => {
  it('keeps refusing a wrong secret for a token id it has verified before', async () => {
    const store = new MemoryTokenStore()
    const { token, record } = await issueToken('t', scope, 1)
    await store.create(record)
    const verify = createTokenVerifier(store)
    expect((await verify(token))?.id).toBe(record.id)
    const last = token.at(-1) === 'A' ? 'B' : 'A'
    expect(await verify(token.slice(0, -1) + last)).toBeUndefined()
    expect((await verify(token))?.id).toBe(record.id)
  })
  it('sees a revocation made behind its back on the next request', async () => {
    const store = new MemoryTokenStore()
    const { token, record } = await issueToken('t', scope, 1)
    await store.create(record)
    const verify = createTokenVerifier(store)
    expect(await verify(token)).toBeDefined()
    await store.revoke(record.id)
    expect(await verify(token)).toBeUndefined()
  })
  it('accepts the environment admin token again without rehashing, and nothing close to it', async () => {
    const store = new MemoryTokenStore()
    const verify = createTokenVerifier(store, await sha256Hex('env-admin-token-long-enough'))
    expect(await verify('env-admin-token-long-enough')).toBe(ENV_ADMIN_RECORD)
    expect(await verify('env-admin-token-long-enough')).toBe(ENV_ADMIN_RECORD)
    expect(await verify('env-admin-token-long-enougH')).toBeUndefined()
  })
})
