/** `postbridge webhook|sensor|notifier|client`: the CLI manages what the API manages, on a running node. */
import { createServer } from 'node:net'
import mqtt from 'mqtt'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startTestHome, TEST_ADMIN_TOKEN, type TestHome } from './fixtures/home.js'
import { runCli } from './fixtures/process.js'

// Each CLI call is a process that starts Node and loads the CLI: several per test.
vi.setConfig({ testTimeout: 120_000 })

let home: TestHome
beforeEach(async () => {
  // Webhook URLs point at a loopback port nothing listens on: no test ever reaches another host.
  home = await startTestHome({ webhooks: { allowPrivate: true } })
})
afterEach(async () => {
  await home.stop()
})

/** A loopback port that was free a moment ago: nothing listens there. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** The CLI as a user on the node's machine runs it: the data directory and HTTP port from the environment, no token. */
const cli = (args: string[]) =>
  runCli(args, {
    POSTBRIDGE_DATA_DIR: home.config.dataDir,
    POSTBRIDGE_HTTP_PORT: String(home.httpPort),
    POSTBRIDGE_HOST: '127.0.0.1',
    POSTBRIDGE_ADMIN_TOKEN: '',
  })

describe('postbridge webhook', () => {
  it('adds, lists (text and --json) and removes a webhook on the running node', async () => {
    const refused = await cli(['webhook', 'add', '--filter', 'home/#', '--url', 'http://127.0.0.1:2/hook'])
    expect(refused.stderr.trim()).toBe(
      'postbridge: webhook add needs --token (or POSTBRIDGE_TOKEN): a webhook belongs to the token that creates it, and is disabled when that token is revoked',
    )
    const added = await cli(['webhook', 'add', '--filter', 'home/#', '--url', 'http://127.0.0.1:2/hook', '--token', TEST_ADMIN_TOKEN])
    expect(added.code, added.stderr).toBe(0)
    const [id, filter, url, secret] = added.stdout.trim().split('\t')
    expect([filter, url]).toEqual(['home/#', 'http://127.0.0.1:2/hook'])
    expect(secret).toMatch(/^whsec_/)
    const listed = await cli(['webhook', 'list'])
    expect(listed.stdout.trim()).toMatch(new RegExp(`^${id}\thome/#\thttp://127\\.0\\.0\\.1:2/hook\ttrue\t\\d+\t\\d+$`))
    const asJson = JSON.parse((await cli(['webhook', 'list', '--json'])).stdout) as { webhooks: { id: string; secret?: string }[] }
    expect(asJson.webhooks.map((w) => w.id)).toEqual([id])
    expect(JSON.stringify(asJson)).not.toContain(secret!)
    expect((await cli(['webhook', 'remove', id!])).code).toBe(0)
    // The running node knows at once: its API shows no hook.
    expect(((await (await home.api('/v1/webhooks')).json()) as { webhooks: unknown[] }).webhooks).toEqual([])
  })

  it('names the problem in one line when the API refuses', async () => {
    const r = await cli(['webhook', 'add', '--filter', 'a/#/b', '--url', 'http://127.0.0.1:2/', '--token', TEST_ADMIN_TOKEN])
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toMatch(/^postbridge: POST \/v1\/webhooks: 400 .*filter/)
    const missing = await cli(['webhook', 'remove', 'wh_nope'])
    expect(missing.stderr.trim()).toMatch(/^postbridge: DELETE \/v1\/webhooks\/wh_nope: 404/)
  })
})

describe('postbridge sensor and notifier', () => {
  it('adds and lists a sensor, lists and removes a notifier', async () => {
    expect((await cli(['sensor', 'add', '--id', 'back', '--name', 'Back door', '--topic', 'home/back/door', '--heartbeat', '24h'])).code).toBe(0)
    expect((await cli(['sensor', 'list'])).stdout).toMatch(/^back\tBack door\thome\/back\/door\t-\t-\tfalse\t-$/m)
    const created = await home.api('/v1/notifiers', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'phone', type: 'ntfy', server: 'http://127.0.0.1:2', topic: 'doors' }),
    })
    expect(created.status).toBe(201)
    expect((await cli(['notifier', 'list'])).stdout.trim()).toBe('phone\tntfy\tapi')
    expect((await cli(['notifier', 'remove', 'phone'])).code).toBe(0)
    expect((await cli(['notifier', 'list'])).stdout.trim()).toBe('')
    expect((await cli(['sensor', 'remove', 'back'])).code).toBe(0)
  })
})

describe('postbridge client', () => {
  it('lists a connected device and disconnects it', async () => {
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { clientId: 'relay-1', reconnectPeriod: 0 })
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()))
    const listed = await cli(['client', 'list', '--json'])
    expect((JSON.parse(listed.stdout) as { clients: { clientId: string }[] }).clients.map((c) => c.clientId)).toContain('relay-1')
    expect((await cli(['client', 'list'])).stdout).toMatch(/^relay-1\t/m)
    expect((await cli(['client', 'disconnect', 'relay-1'])).code).toBe(0)
    await closed
    await device.endAsync(true)
  })
})

describe('--help', () => {
  it('is on every command group', async () => {
    for (const group of ['webhook', 'sensor', 'notifier', 'client', 'token', 'user', 'service']) {
      const r = await runCli([group, '--help'], {})
      expect(r.code, `${group}: ${r.stderr}`).toBe(0)
      expect(r.stdout, group).toContain(group === 'token' || group === 'user' ? `  ${group} ` : `postbridge ${group} `)
    }
    expect((await runCli(['user', '--help'], {})).stdout).toContain('devices/<username>/#')
  })

  it('is on every single command too, and prints its usage line without reading a config file', async () => {
    for (const command of ['start', 'backup', 'restore', 'hash-password']) {
      const r = await runCli([command, '--help', '--config', '/nonexistent/postbridge.yaml'], {})
      expect(r.code, `${command}: ${r.stderr}`).toBe(0)
      expect(r.stdout, command).toMatch(new RegExp(`^usage:\\n  ${command} `))
    }
  })

  it('says when no node answers', async () => {
    const port = await closedPort()
    const r = await runCli(['webhook', 'list', '--node', `http://127.0.0.1:${port}`, '--token', 'x'], {})
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(`postbridge: no node answers at http://127.0.0.1:${port}: is it running? (--node to name another)`)
  })
})
