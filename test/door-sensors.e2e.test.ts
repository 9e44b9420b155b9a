/**
 * Issue 4 end to end: a real home node (aedes, HTTP, SQLite), mosquitto_pub as the door sensor, and real HTTP
 * servers standing in for ntfy, Gotify, Pushover, Telegram and a webhook receiver, each checked against the
 * request its API documents.
 */
import { spawn } from 'node:child_process'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { startTestHome, tempDataDir, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub } from './fixtures/mosquitto.js'
import { startProviderStub, type ProviderStub } from './fixtures/provider-stub.js'

const ENV = {
  PB_E2E_GOTIFY_TOKEN: 'AzJv6Qn8.gotify',
  PB_E2E_PUSHOVER_APP: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
  PB_E2E_PUSHOVER_USER: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
  PB_E2E_TELEGRAM: '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11',
  PB_E2E_WEBHOOK_SECRET: `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`,
}
const ALL = ['ntfy', 'gotify', 'pushover', 'telegram', 'webhook']
const DOOR = 'home/workshop/door'

let stubs: Record<'ntfy' | 'gotify' | 'pushover' | 'telegram' | 'webhook', ProviderStub>
let homes: TestHome[] = []

beforeAll(() => Object.assign(process.env, ENV))
afterAll(() => {
  for (const k of Object.keys(ENV)) delete process.env[k]
})
beforeEach(async () => {
  stubs = {
    ntfy: await startProviderStub('{"id":"x","event":"message"}'),
    gotify: await startProviderStub('{"id":1}'),
    pushover: await startProviderStub('{"status":1,"request":"r"}'),
    telegram: await startProviderStub('{"ok":true,"result":{}}'),
    webhook: await startProviderStub(),
  }
})
afterEach(async () => {
  for (const h of homes.splice(0)) await h.stop()
  for (const s of Object.values(stubs)) await s.close()
})

function notifiers() {
  return [
    { id: 'ntfy', type: 'ntfy', server: `${stubs.ntfy.url}/ntfy`, topic: 'doors-7f3k' },
    { id: 'gotify', type: 'gotify', server: stubs.gotify.url, token: 'env:PB_E2E_GOTIFY_TOKEN' },
    { id: 'pushover', type: 'pushover', appToken: 'env:PB_E2E_PUSHOVER_APP', userKey: 'env:PB_E2E_PUSHOVER_USER', apiBase: stubs.pushover.url },
    { id: 'telegram', type: 'telegram', botToken: 'env:PB_E2E_TELEGRAM', chatId: 4242, apiBase: stubs.telegram.url },
    { id: 'webhook', type: 'webhook', url: `${stubs.webhook.url}/hook`, secret: 'env:PB_E2E_WEBHOOK_SECRET' },
  ]
}

const workshop = (extra: Record<string, unknown> = {}) => ({
  id: 'workshop',
  name: 'Workshop door',
  topic: DOOR,
  notify: ALL,
  debounce: '500ms',
  ...extra,
})

async function start(sensors: unknown[], dataDir?: string): Promise<TestHome> {
  // The provider stubs listen on loopback, which notifier URLs may reach only with allowPrivate.
  const home = await startTestHome({ sensors, notifiers: notifiers(), webhooks: { allowPrivate: true } }, dataDir ? { dataDir } : {})
  homes.push(home)
  return home
}

async function sensorPub(home: TestHome, message: string, topic = DOOR): Promise<void> {
  const { code, stderr } = await mosquittoPub(home.mqttPort, topic, message, ['-q', '1', '-i', 'door-sensor'])
  expect(code, stderr).toBe(0)
}

interface EventJson {
  kind: string
  at: string
  details?: Record<string, unknown>
}
async function events(home: TestHome, id = 'workshop'): Promise<EventJson[]> {
  const res = await home.api(`/v1/sensors/${id}/events`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { events: EventJson[] }).events.reverse()
}
const kinds = async (home: TestHome, id = 'workshop') => (await events(home, id)).map((e) => e.kind)
const titles = (stub: ProviderStub) => stub.requests.map((r) => (JSON.parse(r.body) as { title: string }).title)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** "14:03:12" in the process time zone, as the alert writes it. */
function localClock(iso: string): string {
  const d = new Date(iso)
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')
}

describe('door sensor alerts end to end', () => {
  it('sends an opening to ntfy, Gotify, Pushover, Telegram and a webhook exactly as each API documents', async () => {
    const home = await start([workshop()])
    await sensorPub(home, '{"state":"open","battery":3.71}')
    for (const stub of Object.values(stubs)) await waitFor(() => stub.requests.length === 1, 5000, 'one request per provider')
    const [opened] = await events(home)
    const title = 'Workshop door opened'
    const body = `at ${localClock(opened!.at)} · battery 3.71 V`

    // https://docs.ntfy.sh/publish/#publish-as-json: POST JSON to the root URL
    const ntfy = stubs.ntfy.requests[0]!
    expect([ntfy.method, ntfy.path, ntfy.headers['content-type']]).toEqual(['POST', '/ntfy/', 'application/json'])
    expect(JSON.parse(ntfy.body)).toEqual({ topic: 'doors-7f3k', title, message: body, priority: 3, tags: ['door', 'unlock'] })

    // Gotify: POST /message, app token in X-Gotify-Key
    const gotify = stubs.gotify.requests[0]!
    expect([gotify.method, gotify.path, gotify.headers['content-type'], gotify.headers['x-gotify-key']]).toEqual([
      'POST',
      '/message',
      'application/json',
      ENV.PB_E2E_GOTIFY_TOKEN,
    ])
    expect(JSON.parse(gotify.body)).toEqual({ title, message: body, priority: 5 })

    // Pushover: POST /1/messages.json, form-encoded
    const pushover = stubs.pushover.requests[0]!
    expect([pushover.method, pushover.path, pushover.headers['content-type']]).toEqual([
      'POST',
      '/1/messages.json',
      'application/x-www-form-urlencoded',
    ])
    expect(Object.fromEntries(new URLSearchParams(pushover.body))).toEqual({
      token: ENV.PB_E2E_PUSHOVER_APP,
      user: ENV.PB_E2E_PUSHOVER_USER,
      title,
      message: body,
      priority: '0',
      timestamp: String(Math.floor(Date.parse(opened!.at) / 1000)),
    })

    // Telegram: POST /bot<token>/sendMessage with chat_id and text
    const telegram = stubs.telegram.requests[0]!
    expect([telegram.method, telegram.path, telegram.headers['content-type']]).toEqual([
      'POST',
      `/bot${ENV.PB_E2E_TELEGRAM}/sendMessage`,
      'application/json',
    ])
    expect(JSON.parse(telegram.body)).toEqual({ chat_id: 4242, text: `${title}\n${body}` })

    // Webhook: JSON, signed per Standard Webhooks
    const hook = stubs.webhook.requests[0]!
    expect([hook.method, hook.path]).toEqual(['POST', '/hook'])
    const payload = new Webhook(ENV.PB_E2E_WEBHOOK_SECRET).verify(hook.body, hook.headers) as Record<string, unknown>
    expect(payload).toMatchObject({
      type: 'postbridge.alert',
      title,
      body,
      priority: 3,
      sensor: { id: 'workshop', name: 'Workshop door', topic: DOOR },
      event: { kind: 'opened', door: 'open', battery: { value: 3.71, unit: 'V' } },
    })

    const sensors = (await (await home.api('/v1/sensors')).json()) as { sensors: Record<string, unknown>[] }
    expect(sensors.sensors[0]).toMatchObject({
      id: 'workshop',
      state: 'open',
      battery: { value: 3.71, unit: 'V' },
      lastSeen: opened!.at,
      source: 'config',
    })
  })

  it('alerts opened then closed, each once', async () => {
    const home = await start([workshop({ notify: ['ntfy'] })])
    await sensorPub(home, 'open')
    await waitFor(() => stubs.ntfy.requests.length === 1, 5000, 'opened alert')
    await sleep(700) // past the 500 ms debounce window
    await sensorPub(home, 'closed')
    await waitFor(() => stubs.ntfy.requests.length === 2, 5000, 'closed alert')
    expect(titles(stubs.ntfy)).toEqual(['Workshop door opened', 'Workshop door closed'])
    expect(await kinds(home)).toEqual(['opened', 'closed'])
  })

  it('turns a flapping door into one alert, and announces where it ended up when that differs', async () => {
    const home = await start([workshop({ notify: ['ntfy'] })])
    // One client publishing line by line: ten changes within milliseconds.
    const flap = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(home.mqttPort), '-t', DOOR, '-q', '1', '-l'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    flap.stdin.end('open\nclosed\nopen\nclosed\nopen\nclosed\nopen\nclosed\nopen\nclosed\nopen\n')
    await new Promise((r) => flap.on('exit', r))
    await waitFor(
      async () => (await home.api('/v1/sensors/workshop').then((r) => r.json() as Promise<{ state: string }>)).state === 'open',
      5000,
      'the last state',
    )
    await sleep(1500) // the window closes 500 ms after the last change
    expect(titles(stubs.ntfy)).toEqual(['Workshop door opened'])

    const flap2 = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(home.mqttPort), '-t', DOOR, '-q', '1', '-l'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    flap2.stdin.end('closed\nopen\nclosed\nopen\nclosed\n')
    await new Promise((r) => flap2.on('exit', r))
    await waitFor(() => stubs.ntfy.requests.length === 2, 5000, 'the closing once the window closed')
    await sleep(1000)
    expect(titles(stubs.ntfy)).toEqual(['Workshop door opened', 'Workshop door closed'])
    expect(await kinds(home)).toEqual(['opened', 'closed'])
  })

  it('alerts a low battery once per crossing', async () => {
    const home = await start([workshop({ notify: ['ntfy'], batteryLow: 3.3 })])
    for (const v of [3.4, 3.25, 3.2, 3.22]) await sensorPub(home, JSON.stringify({ battery: v }))
    await waitFor(
      async () => ((await (await home.api('/v1/sensors/workshop')).json()) as { battery: { value: number } | null }).battery?.value === 3.22,
      5000,
      'the last reading',
    )
    await waitFor(() => stubs.ntfy.requests.length === 1, 5000, 'battery alert')
    const [low] = await events(home)
    expect(JSON.parse(stubs.ntfy.requests[0]!.body)).toMatchObject({
      title: 'Workshop door battery low',
      message: `at ${localClock(low!.at)} · 3.25 V, below 3.30 V`,
      priority: 4,
      tags: ['battery'],
    })
    // Recovery above 3.3 + 0.1 re-arms it; the next dip alerts again.
    for (const v of [3.5, 3.1]) await sensorPub(home, JSON.stringify({ battery: v }))
    await waitFor(() => stubs.ntfy.requests.length === 2, 5000, 'second battery alert')
    expect(await kinds(home)).toEqual(['battery_low', 'battery_low'])
  })

  it('raises the dead-man alarm after heartbeat x 1.5, and says back on the next message', async () => {
    const home = await start([workshop({ notify: ['ntfy'], heartbeat: '1s' })])
    await sensorPub(home, 'closed')
    await waitFor(async () => (await kinds(home)).includes('silent'), 10_000, 'silent')
    const sensor = (await (await home.api('/v1/sensors/workshop')).json()) as Record<string, unknown>
    expect(sensor).toMatchObject({ online: false, silent: true, heartbeat: '1s' })
    await sensorPub(home, '{"battery":3.6}')
    await waitFor(async () => (await kinds(home)).includes('back'), 5000, 'back')
    expect(await kinds(home)).toEqual(['closed', 'silent', 'back'])
    await waitFor(() => stubs.ntfy.requests.length === 3, 5000, 'three alerts')
    expect(titles(stubs.ntfy)).toEqual(['Workshop door closed', 'Workshop door is silent', 'Workshop door is back'])
  })

  it('detects silence that ran out while Postbridge was down, as soon as it is back', async () => {
    const dataDir = tempDataDir()
    const first = await start([workshop({ notify: ['ntfy'], heartbeat: '3s' })], dataDir)
    await sensorPub(first, 'closed')
    await waitFor(async () => (await kinds(first)).includes('closed'), 5000, 'closed')
    const [closed] = await events(first)
    expect(await kinds(first)).toEqual(['closed'])
    await first.stop({ keepData: true })
    homes = homes.filter((h) => h !== first)
    // Down past the 4.5 s deadline: no timer of the first process can fire any more.
    await sleep(Math.max(0, Date.parse(closed!.at) + 5000 - Date.now()))
    const second = await start([workshop({ notify: ['ntfy'], heartbeat: '3s' })], dataDir)
    // Already recorded when start-up finished: found by the start-up check, not by a new timer.
    const after = await events(second)
    expect(after.map((e) => e.kind)).toEqual(['closed', 'silent'])
    expect(after[1]!.details).toMatchObject({ lastSeenAt: Date.parse(closed!.at), heartbeatMs: 3000 })
    await waitFor(() => titles(stubs.ntfy).includes('Workshop door is silent'), 5000, 'silent alert')
  })

  it('raises a door opening in quiet hours to the highest priority', async () => {
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
    const now = Date.now()
    const quietHours = { from: hhmm(new Date(now - 3_600_000)), to: hhmm(new Date(now + 3_600_000)) }
    const home = await start([workshop({ notify: ['ntfy', 'pushover', 'gotify'], quietHours })])
    await sensorPub(home, 'open')
    for (const s of [stubs.ntfy, stubs.pushover, stubs.gotify]) await waitFor(() => s.requests.length === 1, 5000, 'alerts')
    expect(JSON.parse(stubs.ntfy.requests[0]!.body)).toMatchObject({ priority: 5, tags: ['door', 'unlock', 'rotating_light'] })
    expect(new URLSearchParams(stubs.pushover.requests[0]!.body).get('priority')).toBe('1')
    expect(JSON.parse(stubs.gotify.requests[0]!.body)).toMatchObject({ priority: 10 })
  })

  it('retries an alert the provider answered with 500, and records both attempts', async () => {
    stubs.gotify.answer = (_, i) => (i === 0 ? { status: 500, body: '{"error":"Internal Server Error"}' } : { status: 200, body: '{"id":2}' })
    const home = await start([workshop({ notify: ['gotify'] })])
    await sensorPub(home, 'open')
    await waitFor(() => stubs.gotify.requests.length === 2, 10_000, 'the retry')
    const [first, second] = stubs.gotify.requests
    expect(second!.body).toBe(first!.body)
    expect(second!.headers['x-gotify-key']).toBe(ENV.PB_E2E_GOTIFY_TOKEN)
    await waitFor(
      async () => ((await (await home.api('/v1/notifiers/gotify/deliveries')).json()) as { deliveries: unknown[] }).deliveries.length === 2,
      5000,
      'records',
    )
    const { deliveries } = (await (await home.api('/v1/notifiers/gotify/deliveries')).json()) as {
      deliveries: { outcome: string; status: number; attempt: number }[]
    }
    expect(deliveries.map((d) => [d.outcome, d.status, d.attempt])).toEqual([
      ['sent', 200, 2],
      ['retrying', 500, 1],
    ])
  })

  it("records the device's Last Will when its connection drops", async () => {
    const home = await start([workshop({ notify: ['ntfy'] })])
    const device = spawn(
      'mosquitto_pub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(home.mqttPort),
        '-t',
        DOOR,
        '-q',
        '1',
        '-l',
        '-i',
        'door-will',
        '--will-topic',
        DOOR,
        '--will-payload',
        'offline',
        '--will-qos',
        '1',
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    )
    device.stdin.write('closed\n')
    await waitFor(async () => (await kinds(home)).includes('closed'), 5000, 'the first message')
    device.kill('SIGKILL') // no DISCONNECT: the broker publishes the Will
    await waitFor(async () => (await kinds(home)).includes('will'), 5000, 'will')
    await waitFor(() => titles(stubs.ntfy).includes('Workshop door lost its connection'), 5000, 'will alert')
    expect(((await (await home.api('/v1/sensors/workshop')).json()) as { lastWill: string | null }).lastWill).not.toBeNull()
  })

  it('manages sensors and notifiers over HTTP and tests a channel', async () => {
    const home = await start([])
    const post = (path: string, body: unknown) =>
      home.api(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    expect(
      (await post('/v1/notifiers', { id: 'tg', type: 'telegram', botToken: '42:plain-token', chatId: '@doors', apiBase: stubs.telegram.url })).status,
    ).toBe(201)
    const test = (await (await post('/v1/notifiers/tg/test', {})).json()) as { ok: boolean; status: number }
    expect(test).toMatchObject({ ok: true, status: 200 })
    expect(stubs.telegram.requests[0]!.path).toBe('/bot42:plain-token/sendMessage')
    expect(JSON.stringify(await (await home.api('/v1/notifiers/tg')).json())).not.toContain('plain-token')

    expect(
      (await post('/v1/sensors', { id: 'front', name: 'Front door', topic: 'home/front/door', notify: ['tg'], heartbeat: 'daily' })).status,
    ).toBe(400)
    expect((await post('/v1/sensors', { id: 'front', name: 'Front door', topic: 'home/front/door', notify: ['tg'], heartbeat: '24h' })).status).toBe(
      201,
    )
    await sensorPub(home, '1', 'home/front/door')
    await waitFor(() => stubs.telegram.requests.length === 2, 5000, 'alert through the new channel')
    expect(JSON.parse(stubs.telegram.requests[1]!.body)).toMatchObject({
      chat_id: '@doors',
      text: expect.stringMatching(/^Front door opened\nat \d\d:\d\d:\d\d$/),
    })
  })
})
