/** A token stays inside its scope and revoking it ends what it started (issue 10), on a real home node. */
import { createServer, type Server } from 'node:http'
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/auth/password.js'
import { startTestHome, tempDataDir, waitFor, type TestHome } from './fixtures/home.js'
import { runCli } from './fixtures/process.js'

let homes: TestHome[] = []
let clients: MqttClient[] = []
let servers: Server[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true)
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
  for (const h of homes.splice(0)) await h.stop()
})

async function home(file: Record<string, unknown> = {}, opts: { dataDir?: string } = {}): Promise<TestHome> {
  const h = await startTestHome(file, opts)
  homes.push(h)
  return h
}

async function mintToken(h: TestHome, scope: { publish?: string[]; read?: string[] }): Promise<{ token: string; id: string }> {
  const res = await h.api('/v1/tokens', {
    method: 'POST',
    body: JSON.stringify({ name: 'user', ...scope }),
    headers: { 'content-type': 'application/json' },
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { token: string; id: string }
}

async function connect(h: TestHome, opts: mqtt.IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${h.mqttPort}`, { reconnectPeriod: 0, ...opts })
  clients.push(client)
  return client
}

describe('MQTT 5 request/reply through a device that has an ACL', () => {
  it('lets the device answer once on the Response Topic it was sent, and logs the drops at debug with user and topic', async () => {
    const passwordHash = await hashPassword('pw', 1000)
    // The device may read its commands and publish its state: postbridge/reply/# is not in its ACL.
    const h = await home({
      logLevel: 'debug',
      mqtt: { users: [{ username: 'lamp', passwordHash, subscribe: ['dev/lamp/cmd'], publish: ['dev/lamp/state'] }] },
    })
    const device = await connect(h, { protocolVersion: 5, username: 'lamp', password: 'pw', clientId: 'lamp-1' })
    await device.subscribeAsync('dev/lamp/cmd', { qos: 1 })
    const replies: string[] = []
    device.on('message', (_topic, payload, packet) => {
      const { responseTopic, correlationData } = packet.properties ?? {}
      if (!responseTopic) return
      replies.push(responseTopic)
      void device.publishAsync(responseTopic, `on:${payload.toString()}`, { qos: 1, properties: { correlationData } }).then(
        // A second answer to the same request is not granted.
        () => device.publishAsync(responseTopic, 'again', { qos: 1, properties: { correlationData } }).catch(() => {}),
        () => {},
      )
    })
    const res = await h.api('/v1/request/dev/lamp/cmd?timeout=5000', { method: 'POST', body: 'status' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('on:status')

    const denied = () =>
      h.log.lines.filter((l) => l.level === 'debug' && l.msg === 'mqtt publish denied').map((l) => l.obj as { username?: string; topic: string })
    await waitFor(() => denied().some((d) => d.topic === replies[0]), 5000, 'the second reply to be denied')
    expect(denied().find((d) => d.topic === replies[0])).toMatchObject({ username: 'lamp', topic: replies[0] })
    // Not a general pass to the reply prefix: a topic it was not sent is refused.
    await device.publishAsync('postbridge/reply/not-for-you', 'x', { qos: 1 }).catch(() => {})
    await waitFor(() => denied().some((d) => d.topic === 'postbridge/reply/not-for-you'), 5000, 'the unsolicited reply to be denied')
  })
})

describe('a content type that is not a header value, from an MQTT 5 device', () => {
  it('is served as application/octet-stream from /v1/retained, not a 500, and kept in the envelope', async () => {
    const h = await home({ mqtt: { allowAnonymous: true } })
    const device = await connect(h, { protocolVersion: 5 })
    const types = { 'dev/crlf': 'text/plain\r\nSet-Cookie: a=b', 'dev/nul': 'text/plain\u0000', 'dev/utf8': 'text/plain; charset=\u2603' }
    for (const [topic, contentType] of Object.entries(types))
      await device.publishAsync(topic, 'hello', { qos: 1, retain: true, properties: { contentType } })
    for (const [topic, contentType] of Object.entries(types)) {
      const raw = await h.api(`/v1/retained/${topic}`)
      expect(raw.status, topic).toBe(200)
      expect(raw.headers.get('content-type')).toBe('application/octet-stream')
      expect(raw.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await raw.text()).toBe('hello')
      const envelope = (await (await h.api(`/v1/retained/${topic}`, { headers: { accept: 'application/json' } })).json()) as {
        properties: { contentType: string }
      }
      expect(envelope.properties.contentType).toBe(contentType)
    }
  })
})

describe('revoking a token with the CLI (another process)', () => {
  it('closes its event stream and pending request, and disables its webhooks, within a second', async () => {
    const received: string[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString()))
      req.on('end', () => {
        received.push(body)
        res.writeHead(204).end()
      })
    })
    servers.push(receiver)
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`
    const h = await home({ webhooks: { allowPrivate: true } })
    const user = await mintToken(h, { publish: ['home/#'], read: ['home/#'] })

    const hook = await h.api('/v1/webhooks', {
      method: 'POST',
      token: user.token,
      body: JSON.stringify({ filter: 'home/#', url: hookUrl }),
      headers: { 'content-type': 'application/json' },
    })
    expect(hook.status).toBe(201)
    const { id: hookId } = (await hook.json()) as { id: string }
    const stream = await h.api('/v1/subscribe?filter=home/%23', { token: user.token })
    expect(stream.status).toBe(200)
    const streamText = new Response(stream.body).text().then((t) => ({ t, at: Date.now() }))
    const pending = h.api('/v1/request/home/dev?timeout=30000', { method: 'POST', body: 'x', token: user.token }).then((r) => ({ r, at: Date.now() }))
    await waitFor(
      async () => {
        await h.api('/v1/publish/home/ping', { method: 'POST', body: 'p' })
        return received.length > 0
      },
      5000,
      'the webhook to deliver',
    )

    const configFile = join(h.config.dataDir, 'cli.yaml')
    writeFileSync(configFile, `dataDir: ${JSON.stringify(h.config.dataDir)}\n`)
    const cli = await runCli(['token', 'revoke', user.id], { POSTBRIDGE_CONFIG: configFile })
    const revokedAt = Date.now()
    expect(cli.code, cli.stderr).toBe(0)

    const [{ t, at: streamEnded }, { r, at: answered }] = await Promise.all([streamText, pending])
    expect(t).toContain('event: revoked')
    expect(r.status).toBe(401)
    expect(streamEnded - revokedAt).toBeLessThan(1000)
    expect(answered - revokedAt).toBeLessThan(1000)

    expect(await (await h.api(`/v1/webhooks/${hookId}`)).json()).toMatchObject({ enabled: false, disabledReason: 'revoked' })
    const before = received.length
    await h.api('/v1/publish/home/after', { method: 'POST', body: 'late' })
    await new Promise((r) => setTimeout(r, 300))
    expect(received.length).toBe(before)
    expect((await h.api('/v1/subscribe?filter=home/%23', { token: user.token })).status).toBe(401)
  })
})

/** Every path under dir with its permission bits. */
function modes(dir: string): { path: string; mode: number; dir: boolean }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).map((e) => {
    const path = join(e.parentPath, e.name)
    return { path, mode: statSync(path).mode & 0o777, dir: e.isDirectory() }
  })
}

describe('the data directory', () => {
  it('is 0700 with files 0600, SQLite -wal/-shm and the broker LevelDB files included', async () => {
    const dataDir = tempDataDir()
    const older = join(dataDir, 'left-by-an-older-version')
    writeFileSync(older, 'x')
    chmodSync(older, 0o644)
    chmodSync(dataDir, 0o755)
    const h = await home({}, { dataDir })
    expect((await h.api('/v1/publish/home/kept?retain=true', { method: 'POST', body: 'on' })).status).toBe(200)
    await mintToken(h, { read: ['home/#'] })
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    const entries = modes(dataDir)
    const names = entries.map((e) => e.path.slice(dataDir.length + 1))
    expect(names).toEqual(expect.arrayContaining(['postbridge.db', 'postbridge.db-wal', 'postbridge.db-shm', 'broker', 'left-by-an-older-version']))
    expect(names.some((n) => n.startsWith('broker/'))).toBe(true)
    for (const e of entries) expect([e.path, e.mode]).toEqual([e.path, e.dir ? 0o700 : 0o600])
  })
})
