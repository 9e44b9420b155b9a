/** The real process: start, crash (SIGKILL) and restart losing nothing accepted, graceful shutdown, start-up errors. */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { tempDataDir, waitFor } from './fixtures/home.js'
import { CLI, runCli, startCli, type RunningPostbridge } from './fixtures/process.js'

const ADMIN = 'process-test-admin-token-0123456789'
const running: RunningPostbridge[] = []

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL')
      await p.exited
    }
  }
})

async function start(dataDir: string, env: Record<string, string> = {}) {
  const p = await startCli({ POSTBRIDGE_DATA_DIR: dataDir, POSTBRIDGE_ADMIN_TOKEN: ADMIN, POSTBRIDGE_LOG_LEVEL: 'info', ...env })
  running.push(p)
  return p
}

const auth = { authorization: `Bearer ${ADMIN}` }

/** A port free on 127.0.0.1 right now, for a child whose "ready" line cannot be read. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('postbridge start', () => {
  it('loses nothing accepted across SIGKILL: retained, queued QoS 1 for an offline session, tokens', async () => {
    const dataDir = tempDataDir()
    const first = await start(dataDir)
    // A persistent session subscribes, then goes offline.
    const sleeper = await mqtt.connectAsync(`mqtt://127.0.0.1:${first.mqttPort}`, { clientId: 'sleeper', clean: false, reconnectPeriod: 0 })
    await sleeper.subscribeAsync('inbox/#', { qos: 1 })
    await sleeper.endAsync()

    const accepted: string[] = []
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${first.httpUrl}/v1/publish/inbox/${i}?qos=1`, { method: 'POST', body: `m${i}`, headers: auth })
      if (res.status === 200) accepted.push(`m${i}`)
    }
    expect(accepted).toHaveLength(20)
    expect((await fetch(`${first.httpUrl}/v1/publish/state/door?retain=true`, { method: 'POST', body: 'closed', headers: auth })).status).toBe(200)
    const tokenRes = await fetch(`${first.httpUrl}/v1/tokens`, {
      method: 'POST',
      body: JSON.stringify({ name: 'kept', read: ['#'] }),
      headers: { ...auth, 'content-type': 'application/json' },
    })
    const { token } = (await tokenRes.json()) as { token: string }

    first.child.kill('SIGKILL')
    await first.exited

    const second = await start(dataDir)
    const retained = await fetch(`${second.httpUrl}/v1/retained/state/door`, { headers: { authorization: `Bearer ${token}` } })
    expect(retained.status).toBe(200)
    expect(await retained.text()).toBe('closed')

    const got: string[] = []
    const back = await mqtt.connectAsync(`mqtt://127.0.0.1:${second.mqttPort}`, {
      clientId: 'sleeper',
      clean: false,
      reconnectPeriod: 0,
      manualConnect: false,
    })
    back.on('message', (_t, p) => got.push(p.toString()))
    await waitFor(() => got.length >= 20, 10_000, 'queued messages')
    expect(got).toEqual(accepted)
    await back.endAsync()
  })

  it('takes a topic filter named __proto__ as a name, beside others in one SUBSCRIBE (no-proto-accessor.ts)', async () => {
    const p = await start(tempDataDir())
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${p.mqttPort}`, { protocolVersion: 5, reconnectPeriod: 0 })
    try {
      // aedes deduplicates a SUBSCRIBE's filters in a plain object: with Object.prototype's accessor, `__proto__`
      // became that object's prototype and the connection was closed.
      const granted = await device.subscribeAsync(['home/a', '__proto__', 'constructor'], { qos: 1 })
      expect(granted.map((g) => [g.topic, g.qos])).toEqual([
        ['home/a', 1],
        ['__proto__', 1],
        ['constructor', 1],
      ])
      const got: string[] = []
      device.on('message', (topic, payload) => got.push(`${topic}=${payload}`))
      for (const topic of ['__proto__', 'constructor', 'home/a']) await device.publishAsync(topic, 'x', { qos: 1 })
      await waitFor(() => got.length === 3, 5000, 'three messages')
      expect(got.sort()).toEqual(['__proto__=x', 'constructor=x', 'home/a=x'])
    } finally {
      await device.endAsync()
    }
  })

  it('goes on serving when what read its output is gone from the start, and still stops on SIGTERM', async () => {
    // `postbridge start | head -c 1`: nothing reads its stdout or stderr, and the first start prints its admin token
    // there. Its ports are chosen here, since the "ready" line cannot be read.
    const ports = await Promise.all([freePort(), freePort()])
    const child = spawn(process.execPath, [CLI, 'start'], {
      cwd: tempDataDir(),
      env: {
        ...process.env,
        POSTBRIDGE_HOST: '127.0.0.1',
        POSTBRIDGE_MQTT_PORT: String(ports[0]),
        POSTBRIDGE_HTTP_PORT: String(ports[1]),
        POSTBRIDGE_DATA_DIR: tempDataDir(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // Also when the test fails or times out (a node stuck in its exit would outlive the suite).
    onTestFinished(() => void child.kill('SIGKILL'))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.stdout!.destroy()
    child.stderr!.destroy()
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[1]}/v1/health`).catch(() => undefined))?.status === 200, 15_000, 'health')
    // A device connecting is logged: another write that fails.
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports[0]}`, { reconnectPeriod: 0 })
    await device.endAsync()
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('keeps the optimising compiler held through a few requests, and lets it go once busy (broker/v8-hold.ts)', async () => {
    const p = await start(tempDataDir(), { POSTBRIDGE_LOG_LEVEL: 'debug' })
    const released = () => p.stdout().includes('optimising compiler released')
    const publish = async (i: number) => {
      const res = await fetch(`${p.httpUrl}/v1/publish/load/${i % 8}?qos=0`, { method: 'POST', body: 'x', headers: auth })
      expect(res.status).toBe(200)
    }
    // A house's pace: a request now and then leaves the node idle.
    for (let i = 0; i < 5; i++) {
      await publish(i)
      await new Promise((r) => setTimeout(r, 300))
    }
    await new Promise((r) => setTimeout(r, 1200)) // the last window closes
    expect(released()).toBe(false)
    // A burst: 16 at a time, until the node says it is busy.
    let sent = 0
    const worker = async () => {
      while (!released() && sent < 200_000) await publish(sent++)
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    expect(released()).toBe(true)
  }, 60_000)

  it('finishes an in-flight request on SIGTERM, then exits 0', async () => {
    const p = await start(tempDataDir())
    const dev = await mqtt.connectAsync(`mqtt://127.0.0.1:${p.mqttPort}`, { reconnectPeriod: 0 })
    await dev.subscribeAsync('slow/cmd')
    dev.on('message', () => setTimeout(() => dev.publish('slow/cmd/reply', 'done'), 500))
    const pending = fetch(`${p.httpUrl}/v1/request/slow/cmd?timeout=4000`, { method: 'POST', body: 'x', headers: auth })
    await new Promise((r) => setTimeout(r, 150))
    p.child.kill('SIGTERM')
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('done')
    expect(await p.exited).toBe(0)
    expect(p.stdout()).toContain('"msg":"stopped"')
    await dev.endAsync(true)
  })

  it('generates an admin token on first start, prints it once, and it works', async () => {
    const dataDir = tempDataDir()
    const first = await startCli({ POSTBRIDGE_DATA_DIR: dataDir })
    running.push(first)
    const token = /\n {2}(pb_\S+)\n/.exec(first.stderr())?.[1]
    expect(token).toBeDefined()
    expect(first.stdout()).not.toContain(token!)
    expect((await fetch(`${first.httpUrl}/v1/tokens`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
    first.child.kill('SIGTERM')
    await first.exited
    const second = await startCli({ POSTBRIDGE_DATA_DIR: dataDir })
    running.push(second)
    expect(second.stderr()).not.toContain('pb_')
  })

  it('fails with one line naming the port when the MQTT port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const r = await runCli(['start'], {
      POSTBRIDGE_HOST: '127.0.0.1',
      POSTBRIDGE_MQTT_PORT: String(port),
      POSTBRIDGE_HTTP_PORT: '0',
      POSTBRIDGE_DATA_DIR: tempDataDir(),
      POSTBRIDGE_ADMIN_TOKEN: ADMIN,
    })
    blocker.close()
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(String(port))
    expect(r.stderr).toMatch(/in use/)
  })

  it('fails with one line naming an unknown config key', async () => {
    const dir = tempDataDir()
    const file = join(dir, 'postbridge.yaml')
    writeFileSync(file, 'mqtt:\n  prot: 1884\n')
    const r = await runCli(['start', '--config', file], { POSTBRIDGE_DATA_DIR: dir })
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(`postbridge: config: ${file}: unknown key "mqtt.prot"`)
  })

  it('fails with one line naming an unreadable config file', async () => {
    const r = await runCli(['start'], { POSTBRIDGE_CONFIG: '/nonexistent/postbridge.yaml' })
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe('postbridge: config: cannot read config file /nonexistent/postbridge.yaml: no such file')
  })
})

describe('postbridge token and user commands', () => {
  it('creates a token from the CLI that the API accepts, and revokes it', async () => {
    const dataDir = tempDataDir()
    const created = await runCli(['token', 'create', '--name', 'cli', '--publish', 'a/#'], { POSTBRIDGE_DATA_DIR: dataDir })
    expect(created.code).toBe(0)
    const token = created.stdout.trim()
    const p = await start(dataDir)
    expect((await fetch(`${p.httpUrl}/v1/publish/a/b`, { method: 'POST', body: 'x', headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    )
    const list = await runCli(['token', 'list'], { POSTBRIDGE_DATA_DIR: dataDir })
    const id = list.stdout
      .split('\n')
      .find((l) => l.includes('\tcli\t'))!
      .split('\t')[0]!
    expect((await runCli(['token', 'revoke', id], { POSTBRIDGE_DATA_DIR: dataDir })).code).toBe(0)
    expect((await fetch(`${p.httpUrl}/v1/publish/a/b`, { method: 'POST', body: 'x', headers: { authorization: `Bearer ${token}` } })).status).toBe(
      401,
    )
  })

  it('adds an MQTT user whose password and ACL the broker enforces', async () => {
    const dataDir = tempDataDir()
    const added = await runCli(
      ['user', 'add', 'relay1', '--publish', 'home/relay/1/#', '--subscribe', 'home/relay/1/#'],
      { POSTBRIDGE_DATA_DIR: dataDir },
      'pw-relay-1',
    )
    expect(added.code).toBe(0)
    expect((await runCli(['user', 'add', 'x', '--publish', 'a/#/b'], { POSTBRIDGE_DATA_DIR: dataDir }, 'pw')).stderr).toMatch(/--publish "a\/#\/b"/)
    const p = await start(dataDir, { POSTBRIDGE_MQTT_ALLOW_ANONYMOUS: 'false' })
    const ok = await mqtt.connectAsync(`mqtt://127.0.0.1:${p.mqttPort}`, { username: 'relay1', password: 'pw-relay-1', reconnectPeriod: 0 })
    await ok.endAsync()
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${p.mqttPort}`, { username: 'relay1', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow()
  })
})
