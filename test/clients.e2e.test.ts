/** /v1/clients and /v1/mqtt-users on a real home node: aedes' client list, real disconnects, users that connect. */
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'

let home: TestHome
const clients: mqtt.MqttClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  await home?.stop()
})

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function connect(opts: mqtt.IClientOptions) {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { reconnectPeriod: 0, ...opts })
  clients.push(c)
  return c
}

interface Listed {
  clientId: string
  username?: string
  address?: string
  protocolVersion?: number
  since?: string
  keepAlive?: number
  subscriptions: number
  transport?: string
}

async function listed(): Promise<Listed[]> {
  const res = await home.api('/v1/clients')
  expect(res.status).toBe(200)
  return ((await res.json()) as { clients: Listed[] }).clients
}

describe('/v1/clients over aedes', () => {
  it('lists a user connected over MQTT 5 with its username, address, version, since, keep alive and subscriptions', async () => {
    home = await startTestHome()
    const made = await home.api('/v1/mqtt-users', json({ username: 'door-hall' }))
    expect(made.status).toBe(201)
    const { password } = (await made.json()) as { password: string }
    const before = Date.now()
    const dev = await connect({ protocolVersion: 5, clientId: 'door-hall-1', username: 'door-hall', password, keepalive: 42 })
    await dev.subscribeAsync(['devices/door-hall/set', 'devices/door-hall/cfg'])
    const anon = await connect({ protocolVersion: 4, clientId: 'anon-311', keepalive: 0 })
    const [a, d] = (await waitFor(async () => {
      const l = await listed()
      return l.length === 2 && l[1]!.subscriptions === 2 ? l : undefined
    }))!
    expect(a).toMatchObject({ clientId: 'anon-311', protocolVersion: 4, keepAlive: 0, subscriptions: 0, transport: 'tcp' })
    expect(a!.username).toBeUndefined()
    expect(d).toMatchObject({ clientId: 'door-hall-1', username: 'door-hall', protocolVersion: 5, keepAlive: 42, subscriptions: 2, transport: 'tcp' })
    expect(d!.address).toMatch(/^127\.0\.0\.1:\d+$|^\[::ffff:127\.0\.0\.1\]:\d+$/)
    expect(Date.parse(d!.since!)).toBeGreaterThanOrEqual(before - 1000)
    expect(anon.connected).toBe(true)
  })

  it('disconnects an MQTT 5 client with DISCONNECT 0x98 (administrative action) and publishes its Will', async () => {
    home = await startTestHome()
    const watcher = await connect({ protocolVersion: 5, clientId: 'watcher' })
    await watcher.subscribeAsync('wills/#')
    const will = new Promise<string>((resolve) => watcher.on('message', (t, p) => resolve(`${t} ${p}`)))
    const dev = await connect({
      protocolVersion: 5,
      clientId: 'kick-me',
      will: { topic: 'wills/kick-me', payload: Buffer.from('gone'), qos: 1, retain: false },
    })
    const reason = new Promise<number | undefined>((resolve) => dev.on('disconnect', (packet) => resolve(packet.reasonCode)))
    expect((await home.api('/v1/clients/kick-me', { method: 'DELETE' })).status).toBe(204)
    expect(await reason).toBe(0x98)
    expect(await will).toBe('wills/kick-me gone')
    await waitFor(async () => !(await listed()).some((c) => c.clientId === 'kick-me'), 5000, 'the client to leave the list')
    expect((await home.api('/v1/clients/kick-me', { method: 'DELETE' })).status).toBe(404)
  })

  it('closes an MQTT 3.1.1 client, which has no server DISCONNECT', async () => {
    home = await startTestHome()
    const dev = await connect({ protocolVersion: 4, clientId: 'old-311' })
    const closed = new Promise<void>((resolve) => dev.once('close', () => resolve()))
    expect((await home.api('/v1/clients/old-311', { method: 'DELETE' })).status).toBe(204)
    await closed
  })
})

describe('/v1/mqtt-users over the SQLite user store', () => {
  it('a user added over HTTP connects at once; after removal the same credentials are refused', async () => {
    home = await startTestHome({ mqtt: { allowAnonymous: false } })
    const made = await home.api('/v1/mqtt-users', json({ username: 'lamp', password: 'lamp-secret-1' }))
    expect(made.status).toBe(201)
    const first = await connect({ clientId: 'lamp-1', username: 'lamp', password: 'lamp-secret-1' })
    await first.endAsync()
    const list = (await (await home.api('/v1/mqtt-users')).json()) as { users: { username: string; source: string }[] }
    expect(list.users).toEqual([{ username: 'lamp', publish: ['devices/lamp/#'], subscribe: ['devices/lamp/#'], source: 'api' }])
    expect((await home.api('/v1/mqtt-users/lamp', { method: 'DELETE' })).status).toBe(204)
    await expect(connect({ clientId: 'lamp-2', username: 'lamp', password: 'lamp-secret-1' })).rejects.toThrow()
  })

  it('lists a user from the config file as "config" and refuses to remove or replace it', async () => {
    const passwordHash = 'pbkdf2-sha256$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g='
    home = await startTestHome({ mqtt: { users: [{ username: 'declared', passwordHash, publish: ['x/#'] }] } })
    const list = (await (await home.api('/v1/mqtt-users')).json()) as { users: unknown[] }
    expect(list.users).toEqual([{ username: 'declared', publish: ['x/#'], subscribe: [], source: 'config' }])
    expect((await home.api('/v1/mqtt-users/declared', { method: 'DELETE' })).status).toBe(409)
    expect((await home.api('/v1/mqtt-users', json({ username: 'declared' }))).status).toBe(409)
  })
})
