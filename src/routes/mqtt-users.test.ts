import { describe, expect, it } from 'vitest'
import { verifyPassword } from '../auth/password.js'
import type { MqttUserAdmin, MqttUserInfo } from '../ports/mqtt-users.js'
import { createTestApp } from '../testing/test-app.js'

type Stored = MqttUserInfo & { passwordHash: string }

/** Users in memory; `declared` ones stand for the config file's. */
class FakeUsers implements MqttUserAdmin {
  users = new Map<string, Stored>()
  constructor(declared: string[] = []) {
    for (const username of declared) this.users.set(username, { username, publish: [], subscribe: [], source: 'config', passwordHash: 'x' })
  }
  async list(): Promise<MqttUserInfo[]> {
    return [...this.users.values()].map(({ passwordHash: _h, ...u }) => u)
  }
  async create(user: { username: string; passwordHash: string; publish: string[]; subscribe: string[] }): Promise<boolean> {
    if (this.users.has(user.username)) return false
    this.users.set(user.username, { ...user, source: 'api' })
    return true
  }
  async remove(username: string): Promise<'removed' | 'absent' | 'declared'> {
    const u = this.users.get(username)
    if (!u) return 'absent'
    if (u.source === 'config') return 'declared'
    this.users.delete(username)
    return 'removed'
  }
}

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

describe('/v1/mqtt-users', () => {
  it('creates a user with a generated password shown once, stored only as a hash, and lists it without it', async () => {
    const users = new FakeUsers()
    const t = await createTestApp({ mqttUsers: users })
    const res = await t.call('/v1/mqtt-users', json({ username: 'door-hall' }))
    expect(res.status).toBe(201)
    const created = (await res.json()) as { password: string; publish: string[]; subscribe: string[] }
    expect(created).toMatchObject({ username: 'door-hall', publish: ['devices/door-hall/#'], subscribe: ['devices/door-hall/#'], source: 'api' })
    expect(created.password.length).toBeGreaterThanOrEqual(32)
    const stored = users.users.get('door-hall')!
    expect(stored.passwordHash).not.toContain(created.password)
    expect(await verifyPassword(created.password, stored.passwordHash)).toBe(true)
    const list = await (await t.call('/v1/mqtt-users')).text()
    expect(list).toContain('door-hall')
    expect(list).not.toContain(created.password)
    expect(list).not.toContain('pbkdf2')
  }, 20_000)
  it('keeps a given password and ACL, and refuses a taken username with 409', async () => {
    const users = new FakeUsers()
    const t = await createTestApp({ mqttUsers: users })
    const body = { username: 'lamp', password: 'correct horse', publish: ['home/lamp/state'], subscribe: ['home/lamp/set'] }
    expect((await t.call('/v1/mqtt-users', json(body))).status).toBe(201)
    expect(await verifyPassword('correct horse', users.users.get('lamp')!.passwordHash)).toBe(true)
    expect((await t.call('/v1/mqtt-users', json(body))).status).toBe(409)
  }, 20_000)
  it('refuses usernames holding wildcards or "/", bad filters and unknown fields, storing nothing', async () => {
    const users = new FakeUsers()
    const t = await createTestApp({ mqttUsers: users })
    for (const body of [
      { username: 'a/b' },
      { username: '+' },
      { username: 'x', publish: ['a/#/b'] },
      { username: 'x', admin: true },
      { username: 'x', password: 'short' },
    ]) {
      expect((await t.call('/v1/mqtt-users', json(body))).status).toBe(400)
    }
    expect(users.users.size).toBe(0)
  })
  it('removes a user, answers 404 for an unknown one and 409 for one declared in the config file', async () => {
    const users = new FakeUsers(['declared'])
    const t = await createTestApp({ mqttUsers: users })
    await users.create({ username: 'gone', passwordHash: 'x', publish: [], subscribe: [] })
    expect((await t.call('/v1/mqtt-users/gone', { method: 'DELETE' })).status).toBe(204)
    expect((await t.call('/v1/mqtt-users/gone', { method: 'DELETE' })).status).toBe(404)
    const declared = await t.call('/v1/mqtt-users/declared', { method: 'DELETE' })
    expect(declared.status).toBe(409)
    expect(((await declared.json()) as { code: number }).code).toBe(40990)
  })
  it('is for admins only and answers 501 without a user store', async () => {
    const t = await createTestApp({ mqttUsers: new FakeUsers() })
    const token = await t.mint({ publish: ['#'], read: ['#'] })
    expect((await t.call('/v1/mqtt-users', { token })).status).toBe(403)
    expect((await t.call('/v1/mqtt-users', { ...json({ username: 'x' }), token })).status).toBe(403)
    const bare = await createTestApp()
    expect((await bare.call('/v1/mqtt-users')).status).toBe(501)
  })
})
