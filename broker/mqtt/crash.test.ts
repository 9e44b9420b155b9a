/** What was acknowledged survives `kill -9` of the broker process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { Harness, collect, nextMessage, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(() => h.cleanup())

const FIXTURE = fileURLToPath(new URL('./fixtures/run-broker.ts', import.meta.url))
const REPO = fileURLToPath(new URL('../../', import.meta.url))

interface BrokerProcess {
  pid: number
  port: number
  /** Publishes through the child's Bus; resolves when its publish() resolved. */
  publish(cmd: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean; responseTopic?: string }): Promise<void>
  kill9(): Promise<void>
  /** SIGTERM: the broker closes gracefully; resolves when the process exited. */
  term(): Promise<void>
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function runBroker(dataDir: string, persistentSessionExpirySeconds = 0): Promise<BrokerProcess> {
  const args = ['tsx', FIXTURE, dataDir, '0', String(persistentSessionExpirySeconds)]
  const child: ChildProcessWithoutNullStreams = spawn('npx', args, { cwd: REPO, stdio: 'pipe' })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const lines = createInterface({ input: child.stdout })
  const waiting = new Map<string, (reply: { ok: boolean; error?: string }) => void>()
  let announce: (info: { pid: number; port: number }) => void
  const announced = new Promise<{ pid: number; port: number }>((resolve) => (announce = resolve))
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { pid?: number; port?: number; ref?: string; ok?: boolean; error?: string }
    if (msg.pid !== undefined && msg.port !== undefined) announce({ pid: msg.pid, port: msg.port })
    else if (msg.ref !== undefined) waiting.get(msg.ref)?.({ ok: msg.ok === true, error: msg.error })
  })
  const exited = once(child, 'exit')
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const info = await Promise.race([
    announced,
    exited.then(() => {
      throw new Error(`broker process exited before listening: ${stderr}`)
    }),
  ])
  clearTimeout(timeout)
  h.onCleanup(async () => {
    if (isAlive(info.pid)) process.kill(info.pid, 'SIGKILL')
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let refs = 0
  return {
    ...info,
    publish(cmd) {
      const ref = String(++refs)
      return new Promise((resolve, reject) => {
        waiting.set(ref, (reply) => (reply.ok ? resolve() : reject(new Error(reply.error))))
        child.stdin.write(`${JSON.stringify({ ref, ...cmd })}\n`)
      })
    },
    async kill9() {
      process.kill(info.pid, 'SIGKILL')
      await waitFor(() => !isAlive(info.pid), 5000, 'the broker process to die')
      await exited
    },
    async term() {
      process.kill(info.pid, 'SIGTERM')
      await exited
    },
  }
}

describe('crash safety', () => {
  it('keeps retained messages and offline QoS 1 queues that were acknowledged before a SIGKILL', async () => {
    const dataDir = await h.tempDir()
    let broker = await runBroker(dataDir)

    // Two persistent sessions, offline: an MQTT 3.1.1 one and an MQTT 5 one.
    const v4 = await h.client(broker.port, { protocolVersion: 4, clientId: 'lamp-4', clean: false })
    await v4.subscribeAsync('crash/cmd/#', { qos: 1 })
    await v4.endAsync()
    const v5 = await h.client(broker.port, { protocolVersion: 5, clientId: 'lamp-5', clean: false, properties: { sessionExpiryInterval: 86_400 } })
    await v5.subscribeAsync('crash/cmd/#', { qos: 2 })
    await v5.endAsync()

    // A device's QoS 1 publishes: PUBACK means the broker owns them [MQTT-4.3.2-2].
    const device = await h.client(broker.port, { protocolVersion: 5 })
    await device.publishAsync('crash/state', 'retained-by-device', { qos: 1, retain: true })
    await device.publishAsync('crash/cmd/a', 'from-device', { qos: 1, properties: { responseTopic: 'crash/reply' } })
    // The HTTP path: Bus.publish resolved, which is when a 200 goes out.
    await broker.publish({ topic: 'crash/cmd/b', payload: 'from-bus', qos: 1, retain: false, responseTopic: 'crash/reply-bus' })
    await broker.publish({ topic: 'crash/bus-state', payload: 'retained-by-bus', qos: 0, retain: true })
    await device.endAsync(true)
    await broker.kill9()

    broker = await runBroker(dataDir)
    const back4 = h.unconnected(broker.port, { protocolVersion: 4, clientId: 'lamp-4', clean: false })
    const got4 = collect(back4)
    back4.connect()
    const back5 = h.unconnected(broker.port, { protocolVersion: 5, clientId: 'lamp-5', clean: false, properties: { sessionExpiryInterval: 86_400 } })
    const got5 = collect(back5)
    back5.connect()
    await waitFor(() => got4.length === 2 && got5.length === 2, 10_000, 'the queued messages after the restart')
    expect(got4.map((m) => m.payload)).toEqual(['from-device', 'from-bus'])
    expect(got5.map((m) => [m.payload, m.packet.properties?.responseTopic])).toEqual([
      ['from-device', 'crash/reply'],
      ['from-bus', 'crash/reply-bus'],
    ])

    const late = await h.client(broker.port, { protocolVersion: 4 })
    const retained = collect(late)
    await late.subscribeAsync('crash/+', { qos: 1 })
    await waitFor(() => retained.length === 2, 5000, 'the retained messages after the restart')
    expect(retained.map((m) => m.payload).sort()).toEqual(['retained-by-bus', 'retained-by-device'])
    // Two broker processes start through npx tsx: about 9 s alone, past 30 s beside a full test run on 2 busy cores.
  }, 120_000)

  it('expires an MQTT 5 session whose client was connected at the SIGKILL, counting from the next start', async () => {
    const dataDir = await h.tempDir()
    const killed = await runBroker(dataDir)
    const sub = await h.client(killed.port, { protocolVersion: 5, clientId: 'killed-1', clean: false, properties: { sessionExpiryInterval: 1 } })
    await sub.subscribeAsync('crash/killed', { qos: 1 })
    await killed.kill9()
    await sub.endAsync(true)

    const broker = await h.broker({ dataDir })
    await waitFor(
      () => h.log.lines.some((l) => l.msg === 'mqtt stored session expired' && (l.obj as { clientId?: string }).clientId === 'killed-1'),
      10_000,
      'the session to expire',
    )
    const back = h.unconnected(broker.tcpPort, { protocolVersion: 5, clientId: 'killed-1', clean: false, properties: { sessionExpiryInterval: 60 } })
    const connack = new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve))
    back.connect()
    expect((await connack).sessionPresent).toBe(false)
  }, 60_000)

  it('expires an MQTT 3.1.1 persistent session connected at the SIGKILL after mqtt.persistentSessionExpiry, from the next start', async () => {
    const dataDir = await h.tempDir()
    const killed = await runBroker(dataDir, 1)
    const sub = await h.client(killed.port, { protocolVersion: 4, clientId: 'killed-v4', clean: false })
    await sub.subscribeAsync('crash/killed-v4', { qos: 1 })
    await killed.kill9()
    await sub.endAsync(true)

    const broker = await h.broker({ dataDir, persistentSessionExpirySeconds: 1 })
    await waitFor(
      () => h.log.lines.some((l) => l.msg === 'mqtt stored session expired' && (l.obj as { clientId?: string }).clientId === 'killed-v4'),
      10_000,
      'the session to expire',
    )
    const back = h.unconnected(broker.tcpPort, { protocolVersion: 4, clientId: 'killed-v4', clean: false })
    const connack = new Promise<{ sessionPresent: boolean }>((resolve) => back.once('connect', resolve))
    back.connect()
    expect((await connack).sessionPresent).toBe(false)
  }, 60_000)

  it('publishes after the restart the wills left waiting or not yet due at a SIGKILL [MQTT-3.1.3-9]', async () => {
    const dataDir = await h.tempDir()
    const killed = await runBroker(dataDir)
    const keeperOptions = { protocolVersion: 5, clientId: 'will-keeper', clean: false, properties: { sessionExpiryInterval: 7200 } } as const
    const keeper = await h.client(killed.port, keeperOptions)
    await keeper.subscribeAsync('will/#', { qos: 1 })
    await keeper.endAsync()
    // Wills that wait an hour after the connection drops: one dropped before the SIGKILL, one at it.
    const withWill = (clientId: string) => ({
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 7200 },
      will: { topic: `will/${clientId}`, payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: 3600 } },
    })
    const waiting = await h.client(killed.port, withWill('killed-waiting'))
    waiting.stream.destroy()
    const connected = await h.client(killed.port, withWill('killed-connected'))
    await killed.kill9()
    await connected.endAsync(true)

    // aedes' own sweep would publish them four minutes after the start; they are published before clients connect.
    const broker = await h.broker({ dataDir })
    const back = h.unconnected(broker.tcpPort, keeperOptions)
    const got = collect(back)
    back.connect()
    await waitFor(() => got.length === 2, 10_000, 'the wills after the restart')
    expect(got.map((m) => m.topic).sort()).toEqual(['will/killed-connected', 'will/killed-waiting'])
  }, 60_000)

  it('publishes at a SIGTERM the will still waiting for its delay, queued for a persistent session [MQTT-3.1.3-9]', async () => {
    const dataDir = await h.tempDir()
    const stopped = await runBroker(dataDir)
    const keeperOptions = { protocolVersion: 5, clientId: 'term-keeper', clean: false, properties: { sessionExpiryInterval: 7200 } } as const
    const keeper = await h.client(stopped.port, keeperOptions)
    await keeper.subscribeAsync('will/#', { qos: 1 })
    await keeper.endAsync()
    const device = await h.client(stopped.port, {
      protocolVersion: 5,
      clientId: 'term-waiting',
      clean: false,
      properties: { sessionExpiryInterval: 7200 },
      will: { topic: 'will/term-waiting', payload: Buffer.from('gone'), qos: 1, retain: false, properties: { willDelayInterval: 3600 } },
    })
    device.stream.destroy()
    await stopped.term()

    const logged = h.log.lines.length
    const broker = await h.broker({ dataDir })
    const back = h.unconnected(broker.tcpPort, keeperOptions)
    const will = nextMessage(back, 'will/term-waiting', 10_000)
    back.connect()
    expect((await will).payload).toBe('gone')
    // Queued at the stop, not published again from the store at this start.
    expect(h.log.lines.slice(logged).some((l) => l.msg === 'mqtt wills left by the previous run published')).toBe(false)
  }, 60_000)
})
