import type { MqttClient } from 'mqtt'
import { Level } from 'level'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { MqttBroker } from './broker.js'
import { Harness, StaticUsers, collect, makeUser, sleep, waitFor } from './fixtures/harness.js'

const h = new Harness()
afterEach(async () => {
  vi.restoreAllMocks()
  await h.cleanup()
})

async function monitored(sysIntervalMs: number, dataDir?: string) {
  const users = new StaticUsers([
    await makeUser('monitor', 'm', { subscribe: ['$SYS/#'] }),
    await makeUser('everything', 'e', { subscribe: ['#'], publish: ['#'] }),
  ])
  return h.broker({ users, sysIntervalMs, ...(dataDir ? { dataDir } : {}) })
}

/** `topic<TAB>payload` lines (mosquitto_sub -F '%t\t%p') into a map; topics and payloads may hold spaces. */
function parse(stdout: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('\t')
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1))
  }
  return out
}

/** The SUBACK codes, failures included (subscribeAsync rejects on any failure code). */
function grantedCodes(client: MqttClient, topicFilters: string[]): Promise<number[]> {
  return new Promise((resolve) => {
    client.subscribe(topicFilters, { qos: 0 }, (_err, _granted, packet) => resolve((packet as unknown as { granted: number[] }).granted))
  })
}

describe('$SYS/broker statistics', () => {
  it('closes cleanly right after start: the first statistics finish before the broker closes under them', async () => {
    for (let i = 0; i < 3; i++) {
      const broker = await monitored(60_000)
      await broker.close()
    }
    const complaints = h.log.lines.filter((l) => l.msg?.startsWith('mqtt $SYS') || (l.level === 'error' && l.msg !== undefined))
    expect(complaints).toEqual([])
  })

  for (const version of ['mqttv311', 'mqttv5'] as const) {
    it(`publishes mosquitto's $SYS/broker topics, read by mosquitto_sub (${version}) as a user granted $SYS/# [MQTT-4.7.2-1]`, async () => {
      const broker = await monitored(200)
      const device = await h.client(broker.tcpPort, { protocolVersion: 4 })
      for (let i = 0; i < 3; i++) await device.publishAsync('stats/x', String(i), { qos: 1, retain: i === 0 })
      await sleep(600)
      const sub = await h.mosquitto('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        String(broker.tcpPort),
        '-V',
        version,
        '-u',
        'monitor',
        '-P',
        'm',
        '-t',
        '$SYS/broker/#',
        '-F',
        '%t\t%p',
        '-C',
        '60',
        '-W',
        '10',
      ])
      expect(sub.code).toBe(0)
      const stats = parse(sub.stdout)
      expect(stats.get('$SYS/broker/version')).toMatch(/^postbridge version \d+\.\d+\.\d+/)
      expect(stats.get('$SYS/broker/uptime')).toMatch(/^\d+ seconds$/)
      expect(Number(stats.get('$SYS/broker/clients/connected'))).toBeGreaterThanOrEqual(1)
      expect(Number(stats.get('$SYS/broker/messages/received'))).toBeGreaterThanOrEqual(3)
      expect(Number(stats.get('$SYS/broker/messages/sent'))).toBeGreaterThanOrEqual(0)
      expect(Number(stats.get('$SYS/broker/retained messages/count'))).toBeGreaterThanOrEqual(1)
      expect(Number(stats.get('$SYS/broker/load/messages/received/1min'))).toBeGreaterThan(0)
      for (const window of ['1min', '5min', '15min']) expect(stats.get(`$SYS/broker/load/messages/sent/${window}`)).toMatch(/^\d+\.\d\d$/)
    })
  }

  it('keeps publishing on the interval, with uptime in "N seconds"', async () => {
    const broker = await monitored(200)
    const monitor = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'monitor', password: 'm' })
    const seen = collect(monitor)
    await monitor.subscribeAsync('$SYS/broker/uptime', { qos: 0 })
    await sleep(1000)
    const uptimes = seen.filter((m) => m.topic === '$SYS/broker/uptime')
    expect(uptimes.length).toBeGreaterThanOrEqual(3)
    expect(uptimes.at(-1)?.payload).toMatch(/^\d+ seconds$/)
  })

  it('publishes nothing with an interval of 0, and clears what an earlier run left retained', async () => {
    const dataDir = await h.tempDir()
    const before = await monitored(100, dataDir)
    await sleep(200)
    await before.close()
    const broker = await monitored(0, dataDir)
    await sleep(200) // the clearing is done at start, not awaited by it
    const monitor = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'monitor', password: 'm' })
    const seen = collect(monitor)
    await monitor.subscribeAsync('$SYS/broker/#', { qos: 0 })
    await sleep(300)
    expect(seen).toEqual([])
  })
})

/** Every statistic, as mosquitto names it under `$SYS/broker/`. */
const STATISTICS = [
  'version',
  'uptime',
  'clients/connected',
  'clients/active',
  'clients/maximum',
  'messages/received',
  'messages/sent',
  'publish/messages/received',
  'publish/messages/sent',
  'retained messages/count',
  ...['1min', '5min', '15min'].flatMap((w) => [
    `load/messages/received/${w}`,
    `load/messages/sent/${w}`,
    `load/publish/received/${w}`,
    `load/publish/sent/${w}`,
    `load/connections/${w}`,
  ]),
].map((t) => `$SYS/broker/${t}`)

/**
 * The statistics each tick publishes, as heard in-process (the Bus, which is no MQTT client, so listening changes
 * no count): a tick starts with its uptime, which every tick publishes.
 */
async function ticksOf(broker: MqttBroker) {
  const ticks: { topic: string; payload: string }[][] = []
  await broker.bus.subscribe(['$SYS/broker/#'], (m) => {
    const message = { topic: m.topic, payload: Buffer.from(m.payload).toString() }
    if (m.topic === '$SYS/broker/uptime') ticks.push([message])
    else ticks.at(-1)?.push(message)
  })
  return {
    ticks,
    /** Resolves with the first whole tick (the next has started) in which `topic` was published as `payload`. */
    async withValue(topic: string, payload: string) {
      const tick = () => ticks.slice(0, -1).find((t) => t.some((m) => m.topic === topic && m.payload === payload))
      await waitFor(() => tick() !== undefined, 5000, `${topic} = ${payload}`)
      return tick()!.map((m) => m.topic)
    },
  }
}

describe('$SYS/broker statistics, published when they change', () => {
  it('publishes only the uptime on the ticks of an idle broker, as mosquitto does', async () => {
    const broker = await monitored(50)
    const { ticks } = await ticksOf(broker)
    await waitFor(() => ticks.length >= 4, 5000, 'four ticks')
    // The first tick heard may have started before the subscription: whole ticks only.
    for (const tick of ticks.slice(1, -1)) expect(tick.map((m) => m.topic)).toEqual(['$SYS/broker/uptime'])
  })

  it('publishes the client counts at the tick after a client connects, and the message counts after it publishes', async () => {
    const broker = await monitored(50)
    const stats = await ticksOf(broker)
    const device = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'everything', password: 'e' })
    const connected = await stats.withValue('$SYS/broker/clients/connected', '1')
    expect(connected).toEqual(
      expect.arrayContaining(['$SYS/broker/clients/active', '$SYS/broker/clients/maximum', '$SYS/broker/load/connections/1min']),
    )
    expect(connected).not.toContain('$SYS/broker/messages/received')
    await device.publishAsync('home/x', 'on', { qos: 1 })
    const received = await stats.withValue('$SYS/broker/messages/received', '1')
    expect(received).toEqual(
      expect.arrayContaining([
        '$SYS/broker/publish/messages/received',
        '$SYS/broker/load/messages/received/1min',
        '$SYS/broker/load/publish/received/1min',
      ]),
    )
    expect(received).not.toContain('$SYS/broker/clients/connected')
  })

  it('gives a subscriber that comes late every statistic, retained', async () => {
    const broker = await monitored(50)
    const { ticks } = await ticksOf(broker)
    await waitFor(() => ticks.length >= 3, 5000, 'three ticks')
    const monitor = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'monitor', password: 'm' })
    const seen = collect(monitor)
    await monitor.subscribeAsync('$SYS/broker/#', { qos: 0 })
    const retained = () => new Set(seen.filter((m) => m.packet.retain).map((m) => m.topic))
    await waitFor(() => STATISTICS.every((t) => retained().has(t)), 5000, 'every statistic')
    expect([...retained()].sort()).toEqual([...STATISTICS].sort())
    expect((await broker.bus.retained('$SYS/broker/#')).map((m) => m.topic).sort()).toEqual([...STATISTICS].sort())
  })

  it('writes none of them to the broker store on disk', async () => {
    const writes = (['put', 'batch', 'del'] as const).map((name) => vi.spyOn(Level.prototype, name))
    const broker = await monitored(50)
    const { ticks } = await ticksOf(broker)
    await waitFor(() => ticks.length >= 3, 5000, 'three ticks')
    expect(writes.reduce((sum, spy) => sum + spy.mock.calls.length, 0)).toBe(0)
  })
})

describe('who may read $SYS', () => {
  it('gives anonymous loopback clients nothing from $SYS: no client ids, no subscriptions [MQTT-4.7.2-1]', async () => {
    const broker = await monitored(100)
    const anon = await h.client(broker.tcpPort, { protocolVersion: 5 })
    await expect(anon.subscribeAsync('$SYS/#', { qos: 0 })).rejects.toThrow(/Not authorized/)
    const v4 = await h.client(broker.tcpPort, { protocolVersion: 4 })
    expect(await grantedCodes(v4, ['$SYS/#', '#'])).toEqual([128, 0])
    const seen = [...collect(anon), ...collect(v4)]
    await anon.subscribeAsync('#', { qos: 0 })
    // A new client and a new subscription: aedes announces both under $SYS/<broker id>/new/...
    const other = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'secret-device-id' })
    await other.subscribeAsync('secret/filter', { qos: 0 })
    await sleep(300)
    expect(seen.filter((m) => m.topic.startsWith('$'))).toEqual([])
    const mosquitto = await h.mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.tcpPort), '-t', '$SYS/#', '-C', '1', '-W', '2'])
    expect(mosquitto.stdout).toBe('')
  })

  it('does not count # in a user ACL as a grant of $SYS [MQTT-4.7.2-1]', async () => {
    const broker = await monitored(100)
    const user = await h.client(broker.tcpPort, { protocolVersion: 5, username: 'everything', password: 'e' })
    await expect(user.subscribeAsync('$SYS/broker/#', { qos: 0 })).rejects.toThrow(/Not authorized/)
  })
})
