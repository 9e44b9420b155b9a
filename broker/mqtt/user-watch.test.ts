import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { IDisconnectPacket } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../store/db.js'
import { SqliteUserStore } from '../store/users-sqlite.js'
import { Harness, StaticUsers, collect, makeUser, nextMessage, sleep, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** `postbridge <args>` as a separate process on `dataDir`, from a directory holding no config file. */
async function cli(dataDir: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  const cwd = await h.tempDir()
  return new Promise((resolve, reject) => {
    const child = spawn(`${REPO}node_modules/.bin/tsx`, [`${REPO}broker/cli.ts`, ...args], {
      cwd,
      env: { ...process.env, POSTBRIDGE_DATA_DIR: dataDir, POSTBRIDGE_CONFIG: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

/** A broker whose users live in SQLite under dataDir, as `postbridge start` runs it. */
async function brokerWithStoredUsers() {
  const dataDir = await h.tempDir()
  const db = openDatabase(dataDir)
  h.onCleanup(() => db.close())
  const users = new SqliteUserStore(db)
  users.put(await makeUser('ub', 'pb', { publish: ['b/#'], subscribe: ['b/private/#', 'b/public/#'] }))
  const broker = await h.broker({ dataDir, users })
  return { dataDir, broker }
}

describe('user changes reach live connections', () => {
  it('disconnects a connected MQTT 5 user within a second of `postbridge user remove` with DISCONNECT 0x98 [MQTT-3.14.2-1]', async () => {
    const { dataDir, broker } = await brokerWithStoredUsers()
    const client = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'ub-5', username: 'ub', password: 'pb' })
    let disconnect: IDisconnectPacket | undefined
    client.on('disconnect', (packet) => (disconnect = packet))

    const removed = await cli(dataDir, ['user', 'remove', 'ub'])
    expect(removed).toEqual({ code: 0, stderr: '' })
    await waitFor(() => disconnect !== undefined, 1000, 'DISCONNECT within a second')
    expect(disconnect?.reasonCode).toBe(0x98)
    expect((await h.refusedConnect(broker.tcpPort, { protocolVersion: 5, username: 'ub', password: 'pb' })).code).toBe(0x86)
  })

  it('closes the connection of a removed MQTT 3.1.1 user within a second [MQTT-4.8.0-1]', async () => {
    const { dataDir, broker } = await brokerWithStoredUsers()
    const client = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'ub-4', username: 'ub', password: 'pb' })
    let closed = false
    client.on('close', () => (closed = true))
    expect((await cli(dataDir, ['user', 'remove', 'ub'])).code).toBe(0)
    await waitFor(() => closed, 1000, 'close within a second')
  })

  it('drops, within a second, the subscriptions a narrowed ACL no longer covers and keeps the connection', async () => {
    const { dataDir, broker } = await brokerWithStoredUsers()
    const client = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'ub-n', username: 'ub', password: 'pb' })
    await client.subscribeAsync(['b/private/#', 'b/public/#'], { qos: 1 })
    const seen = collect(client)

    // Another process's connection to the same SQLite file, as the CLI would write it.
    const other = openDatabase(dataDir)
    h.onCleanup(() => other.close())
    const store = new SqliteUserStore(other)
    const ub = (await store.find('ub'))!
    store.put({ ...ub, subscribe: ['b/public/#'] })
    await waitFor(
      () => h.log.lines.some((l) => l.msg === 'mqtt subscriptions outside the new ACL dropped'),
      1000,
      'the narrowed ACL applied within a second',
    )

    const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
    const got = nextMessage(client, 'b/public/x')
    await pub.publishAsync('b/private/x', 'secret', { qos: 1 })
    await pub.publishAsync('b/public/x', 'hello', { qos: 1 })
    expect((await got).payload).toBe('hello')
    await sleep(100)
    expect(seen.map((m) => m.topic)).toEqual(['b/public/x'])
    expect(client.connected).toBe(true)
    // The dropped subscription is gone from the broker, not only filtered.
    await expect(client.subscribeAsync('b/private/#', { qos: 1 })).rejects.toThrow(/Not authorized/)
  })

  it('delivers no stored-session message outside the ACL after a restart narrowed a config-file user [MQTT-3.1.2-5]', async () => {
    const dataDir = await h.tempDir()
    const wide = await makeUser('ub', 'pb', { subscribe: ['b/#'] })
    const session = { protocolVersion: 4 as const, clientId: 'ub-restart', clean: false, username: 'ub', password: 'pb' }
    const before = await h.broker({ dataDir, users: new StaticUsers([wide]) })
    const device = await h.client(before.tcpPort, session)
    await device.subscribeAsync('b/#', { qos: 1 })
    await device.endAsync()
    const pub = await h.client(before.tcpPort, { protocolVersion: 4 })
    await pub.publishAsync('b/secret', 'no longer yours', { qos: 1 })
    await pub.publishAsync('b/public/x', 'still yours', { qos: 1 })
    await pub.endAsync()
    await before.close()

    const after = await h.broker({ dataDir, users: new StaticUsers([{ ...wide, subscribe: ['b/public/#'] }]) })
    const back = h.unconnected(after.tcpPort, session)
    const seen = collect(back)
    const got = nextMessage(back, 'b/public/x')
    back.connect()
    expect((await got).payload).toBe('still yours')
    const live = await h.client(after.tcpPort, { protocolVersion: 4 })
    await live.publishAsync('b/secret', 'live', { qos: 1 })
    await sleep(200)
    expect(seen.map((m) => m.topic)).toEqual(['b/public/x'])
  })
})
