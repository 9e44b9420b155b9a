import type { Client } from 'aedes'
import { afterEach, describe, expect, it } from 'vitest'
import { RecordingLogger } from '../../src/testing/recording-logger.js'
import { Authenticator, isLoopbackAddress } from './auth.js'
import { Harness, StaticUsers, makeUser, nextMessage } from './fixtures/harness.js'
import { PasswordCheck } from './password-check.js'

const h = new Harness()
afterEach(() => h.cleanup())

describe('isLoopbackAddress', () => {
  it.each(['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '::ffff:127.0.0.1', '::ffff:127.9.8.7', '0:0:0:0:0:0:0:1', '::1%lo'])(
    'treats %s as loopback',
    (address) => expect(isLoopbackAddress(address)).toBe(true),
  )
  it.each(['192.168.1.20', '10.0.0.1', '128.0.0.1', '::ffff:192.168.1.20', 'fe80::1', '::', '0.0.0.0', '', 'localhost', undefined, '127.0.0.1.evil'])(
    'treats %s as remote',
    (address) => expect(isLoopbackAddress(address)).toBe(false),
  )
})

interface FakeOutcome {
  error: (Error & { returnCode: number }) | null
  ok: boolean | null
}

/** A stand-in for an aedes Client carrying only what the authenticate hook reads. */
function fakeClient(remoteAddress: string, headers: Record<string, string> = {}, viaWebSocket = false): Client {
  const socket = { remoteAddress }
  return (viaWebSocket ? { id: 'c1', conn: {}, req: { socket, headers } } : { id: 'c1', conn: socket }) as unknown as Client
}

function authenticate(auth: Authenticator, client: Client, username?: string, password?: string): Promise<FakeOutcome> {
  return new Promise((resolve) =>
    auth.authenticate(client, username, password === undefined ? undefined : Buffer.from(password), (error, ok) => resolve({ error, ok })),
  )
}

describe('authenticate hook', () => {
  const log = new RecordingLogger()
  const makeAuth = async (allowAnonymous: boolean) =>
    new Authenticator({ allowAnonymous, users: new StaticUsers([await makeUser('alice', 's3cret')]), passwords: new PasswordCheck(), log })

  it('refuses anonymous clients from a non-loopback address with not authorized (5)', async () => {
    const auth = await makeAuth(false)
    const out = await authenticate(auth, fakeClient('192.168.1.20'))
    expect(out.ok).toBe(false)
    expect(out.error?.returnCode).toBe(5)
  })

  it('accepts anonymous clients from loopback, over TCP and over WebSocket', async () => {
    const auth = await makeAuth(false)
    expect((await authenticate(auth, fakeClient('127.0.0.1'))).ok).toBe(true)
    expect((await authenticate(auth, fakeClient('::ffff:127.0.0.1', {}, true))).ok).toBe(true)
  })

  it('refuses anonymous WebSocket clients behind a proxy even when the socket is loopback', async () => {
    const auth = await makeAuth(false)
    const out = await authenticate(auth, fakeClient('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, true))
    expect(out.error?.returnCode).toBe(5)
  })

  it('accepts anonymous clients from anywhere when allowAnonymous is true', async () => {
    const auth = await makeAuth(true)
    expect((await authenticate(auth, fakeClient('192.168.1.20'))).ok).toBe(true)
  })

  it('accepts a good password from a remote address and refuses a bad one with bad username or password (4)', async () => {
    const auth = await makeAuth(false)
    expect((await authenticate(auth, fakeClient('192.168.1.20'), 'alice', 's3cret')).ok).toBe(true)
    expect((await authenticate(auth, fakeClient('192.168.1.20'), 'alice', 'nope')).error?.returnCode).toBe(4)
    expect((await authenticate(auth, fakeClient('192.168.1.20'), 'mallory', 's3cret')).error?.returnCode).toBe(4)
    expect((await authenticate(auth, fakeClient('127.0.0.1'), undefined, 'password-only')).error?.returnCode).toBe(4)
  })

  it('answers server unavailable (3) when the user directory fails', async () => {
    const auth = new Authenticator({
      allowAnonymous: false,
      users: { find: () => Promise.reject(new Error('db down')) },
      passwords: new PasswordCheck(),
      log,
    })
    expect((await authenticate(auth, fakeClient('127.0.0.1'), 'alice', 'x')).error?.returnCode).toBe(3)
  })

  it('never logs passwords', () => {
    expect(log.text()).not.toContain('s3cret')
    expect(log.text()).not.toContain('nope')
  })
})

describe('password cache', () => {
  it('runs the slow check once per username and password, and again when the stored hash changes', async () => {
    const calls: string[] = []
    const check = new PasswordCheck({ verify: async (pw, hash) => (calls.push(pw), hash === `h:${pw}`) })
    expect(await check.check('alice', Buffer.from('pw1'), 'h:pw1')).toBe(true)
    expect(await check.check('alice', Buffer.from('pw1'), 'h:pw1')).toBe(true)
    expect(calls).toHaveLength(1)
    // A wrong password does not evict the good entry, and is itself remembered.
    expect(await check.check('alice', Buffer.from('bad'), 'h:pw1')).toBe(false)
    expect(await check.check('alice', Buffer.from('bad'), 'h:pw1')).toBe(false)
    expect(await check.check('alice', Buffer.from('pw1'), 'h:pw1')).toBe(true)
    expect(calls).toEqual(['pw1', 'bad'])
    // The directory now holds another hash (password changed): the cached success no longer counts.
    expect(await check.check('alice', Buffer.from('pw1'), 'h:pw2')).toBe(false)
    expect(calls).toEqual(['pw1', 'bad', 'pw1'])
  })

  it('shares one slow check among a storm of identical CONNECTs and limits how many run at once', async () => {
    let running = 0
    let peak = 0
    const check = new PasswordCheck({
      maxConcurrent: 2,
      verify: async (pw) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 20))
        running--
        return pw.startsWith('ok')
      },
    })
    const storm = Array.from({ length: 50 }, () => check.check('dev', Buffer.from('ok-1'), 'h'))
    const distinct = Array.from({ length: 6 }, (_, i) => check.check(`u${i}`, Buffer.from(`x${i}`), 'h'))
    expect((await Promise.all(storm)).every(Boolean)).toBe(true)
    expect(await Promise.all(distinct)).toEqual([false, false, false, false, false, false])
    expect(check.verifications).toBe(7)
    expect(peak).toBeLessThanOrEqual(2)
  })

  it('expires remembered failures', async () => {
    let now = 0
    let calls = 0
    const check = new PasswordCheck({ failureTtlMs: 1000, now: () => now, verify: async () => (calls++, false) })
    await check.check('a', Buffer.from('x'), 'h')
    await check.check('a', Buffer.from('x'), 'h')
    now = 1001
    await check.check('a', Buffer.from('x'), 'h')
    expect(calls).toBe(2)
  })

  it('makes reconnects with a real PBKDF2 hash cheap after the first', async () => {
    const user = await makeUser('pi', 'pbkdf2-cost', {}, 210_000)
    const broker = await h.broker({ users: new StaticUsers([user]) })
    const timeConnect = async () => {
      const t0 = performance.now()
      const c = await h.client(broker.tcpPort, { username: 'pi', password: 'pbkdf2-cost', protocolVersion: 4 })
      const ms = performance.now() - t0
      await c.endAsync()
      return ms
    }
    const first = await timeConnect()
    const again = [await timeConnect(), await timeConnect(), await timeConnect()]
    expect(broker.bus.status().detail?.passwordVerifications).toBe(1)
    expect(Math.max(...again)).toBeLessThan(first)
  })
})

describe('MQTT CONNECT over the wire', () => {
  const users = async () => new StaticUsers([await makeUser('alice', 's3cret', { publish: ['devices/%u/#'], subscribe: ['devices/%u/#'] })])

  it('accepts anonymous clients from loopback with allowAnonymous false (mqtt.js and mosquitto_pub)', async () => {
    const broker = await h.broker({ allowAnonymous: false })
    const c = await h.client(broker.tcpPort, { protocolVersion: 5 })
    expect(c.connected).toBe(true)
    const r = await h.mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.tcpPort), '-V', 'mqttv311', '-t', 'a', '-m', 'b'])
    expect(r.code).toBe(0)
  })

  it('refuses a wrong password with 4 for MQTT 3.1.1 and 0x86 for MQTT 5', async () => {
    const broker = await h.broker({ allowAnonymous: false, users: await users() })
    const v4 = await h.refusedConnect(broker.tcpPort, { protocolVersion: 4, username: 'alice', password: 'wrong' })
    expect(v4.code).toBe(4)
    const v5 = await h.refusedConnect(broker.tcpPort, { protocolVersion: 5, username: 'alice', password: 'wrong' })
    expect(v5.code).toBe(0x86)
    const unknown = await h.refusedConnect(broker.tcpPort, { protocolVersion: 5, username: 'nobody', password: 'wrong' })
    expect(unknown.code).toBe(0x86)
    const mosq = await h.mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.tcpPort),
      '-V',
      'mqttv5',
      '-u',
      'alice',
      '-P',
      'wrong',
      '-t',
      'devices/alice/x',
      '-m',
      'b',
    ])
    expect(mosq.code).not.toBe(0)
    expect(h.log.text()).not.toContain('wrong"')
  })

  it('accepts the right password from mqtt.js and mosquitto_pub', async () => {
    const broker = await h.broker({ allowAnonymous: false, users: await users() })
    const watcher = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await watcher.subscribeAsync('devices/#')
    const got = nextMessage(watcher, 'devices/alice/hello')
    const c = await h.client(broker.tcpPort, { protocolVersion: 4, username: 'alice', password: 's3cret' })
    expect(c.connected).toBe(true)
    const mosq = await h.mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.tcpPort),
      '-V',
      'mqttv5',
      '-u',
      'alice',
      '-P',
      's3cret',
      '-q',
      '1',
      '-t',
      'devices/alice/hello',
      '-m',
      'hi',
    ])
    expect(mosq.code).toBe(0)
    expect((await got).payload).toBe('hi')
  })

  it('refuses a CONNECT whose Will topic the user may not publish to, with 5 / 0x87', async () => {
    const broker = await h.broker({ users: await users() })
    const will = { topic: 'devices/bob/status', payload: Buffer.from('gone'), qos: 0 as const, retain: false }
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 4, username: 'alice', password: 's3cret', will })).code).toBe(5)
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 5, username: 'alice', password: 's3cret', will })).code).toBe(0x87)
    const ok = await h.client(broker.tcpPort, {
      protocolVersion: 5,
      username: 'alice',
      password: 's3cret',
      will: { ...will, topic: 'devices/alice/status' },
    })
    expect(ok.connected).toBe(true)
  })
})
