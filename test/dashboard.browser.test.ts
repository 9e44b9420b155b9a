/**
 * The dashboard (issue 13) in a real browser: headless Chromium against a real home node on ephemeral ports, with
 * mosquitto_pub/mosquitto_sub as devices and a real HTTP receiver for webhooks. Screenshots of each page, at desktop
 * and phone widths, go to .ci/out/ for a person to look at.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import mqtt from 'mqtt'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DESKTOP, hasChromium, launchChromium, PHONE } from './fixtures/browser.js'
import { startTestHome, TEST_ADMIN_TOKEN, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub, mosquittoSub } from './fixtures/mosquitto.js'
import { startProviderStub, type ProviderStub } from './fixtures/provider-stub.js'
import { startReceiver, type Receiver } from './fixtures/receiver.js'

const OUT = '.ci/out'
const UI_TIMEOUT = 15_000

let home: TestHome
let browser: Browser
let receiver: Receiver
let ntfy: ProviderStub
let receiverStatus = 500
/** Every URL any page of any context asked for. */
const requested: string[] = []
const contexts: BrowserContext[] = []
const children: ChildProcess[] = []

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true })
  receiver = await startReceiver(() => receiverStatus)
  ntfy = await startProviderStub('{"id":"x","event":"message"}')
  home = await startTestHome({
    webhooks: { allowPrivate: true, retryBase: '50ms', maxAttempts: 2 },
    notifiers: [{ id: 'phone', type: 'ntfy', server: ntfy.url, topic: 'doors-7f3k' }],
    sensors: [
      {
        id: 'hall',
        name: 'Hall door',
        topic: 'home/hall/door',
        heartbeat: '1h',
        batteryLow: 3.3,
        notify: ['phone'],
        quietHours: { from: '22:00', to: '07:00' },
      },
    ],
  })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  for (const c of children.splice(0)) c.kill('SIGTERM')
  for (const c of contexts.splice(0)) await c.close()
  await browser?.close()
  await home?.stop()
  await receiver?.close()
  await ntfy?.close()
})

async function open(viewport = DESKTOP, javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ viewport, javaScriptEnabled })
  contexts.push(context)
  context.on('request', (r) => requested.push(r.url()))
  const page = await context.newPage()
  page.setDefaultTimeout(UI_TIMEOUT)
  return page
}

async function signIn(token = TEST_ADMIN_TOKEN, viewport = DESKTOP): Promise<Page> {
  const page = await open(viewport)
  await page.goto(`${home.httpUrl}/`)
  await page.getByLabel('API token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.locator('#nav').waitFor()
  return page
}

const go = async (page: Page, name: string) => {
  await page.goto(`${home.httpUrl}/#/${name}`)
  await page.locator('main h1').waitFor()
}

const json = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

describe.skipIf(!hasChromium())('dashboard in Chromium', () => {
  it('signs in with a token, refuses a wrong one, and keeps the token for the tab only (sessionStorage)', async () => {
    const page = await open()
    await page.goto(`${home.httpUrl}/`)
    expect(await page.locator('#nav').isVisible()).toBe(false)
    await page.getByLabel('API token').fill('pb_wrongwrongwr_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('That token is unknown or revoked.').waitFor()
    // Keyboard only: the field has focus, Enter submits.
    await page.getByLabel('API token').fill('')
    await page.keyboard.type(TEST_ADMIN_TOKEN)
    await page.keyboard.press('Enter')
    await page.locator('#broker-state').getByText('up').waitFor()
    expect(await page.evaluate(() => [sessionStorage.getItem('postbridge.token'), localStorage.length, document.cookie])).toEqual([
      TEST_ADMIN_TOKEN,
      0,
      '',
    ])
    // A reload in the same tab stays signed in; a new tab (context) starts at the sign-in form.
    await page.reload()
    await page.locator('#broker-state').waitFor()
    const other = await open()
    await other.goto(`${home.httpUrl}/`)
    await other.getByLabel('API token').waitFor()
  }, 60_000)

  it('shows a device connected with mosquitto_pub on the Devices page, and disconnects a client from there', async () => {
    const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(home.mqttPort), '-i', 'hall-esp', '-t', 'home/hall/log', '-l', '-k', '30'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    children.push(pub)
    const page = await signIn()
    await go(page, 'devices')
    const row = page.locator('tr[data-client="hall-esp"]')
    await row.waitFor()
    expect(await row.innerText()).toMatch(/hall-esp\s+anonymous\s+127\.0\.0\.1:\d+\s+3\.1\.1\s+.*30 s\s+0/)
    // mosquitto_pub -l reconnects by itself, so disconnecting is shown on a client that does not.
    const kitchen = await mqtt.connectAsync(`mqtt://127.0.0.1:${home.mqttPort}`, { clientId: 'kitchen-plug', protocolVersion: 5, reconnectPeriod: 0 })
    const closed = new Promise<void>((resolve) => kitchen.once('close', () => resolve()))
    const plug = page.locator('tr[data-client="kitchen-plug"]')
    await plug.waitFor()
    await plug.getByRole('button', { name: 'Disconnect kitchen-plug' }).click()
    await page.getByText('Disconnected kitchen-plug.').waitFor()
    await closed
    await plug.waitFor({ state: 'detached' })
    await kitchen.endAsync(true)
  }, 60_000)

  it('updates a retained value live, pretty-prints JSON and shows binary as hex', async () => {
    expect((await mosquittoPub(home.mqttPort, 'home/lamp/state', 'ON', ['-r', '-q', '1'])).code).toBe(0)
    expect((await mosquittoPub(home.mqttPort, 'home/climate', '{"t":21.5,"rh":40}', ['-r', '-q', '1'])).code).toBe(0)
    const page = await signIn()
    await go(page, 'topics')
    const lamp = page.locator('[data-topic="home/lamp/state"] pre')
    await page.getByText('· live').waitFor()
    expect(await lamp.innerText()).toBe('ON')
    expect(await page.locator('[data-topic="home/climate"] pre').innerText()).toBe('{\n  "t": 21.5,\n  "rh": 40\n}')
    expect((await mosquittoPub(home.mqttPort, 'home/lamp/state', 'OFF', ['-r', '-q', '1'])).code).toBe(0)
    await page.waitForFunction(() => document.querySelector('[data-topic="home/lamp/state"] pre')?.textContent === 'OFF')
    const bytes = await home.api(
      '/v1/publish',
      json({ topic: 'home/blob', payload: Buffer.from([0xff, 0x00, 0x10]).toString('base64'), encoding: 'base64', retain: true }),
    )
    expect(bytes.status).toBe(200)
    await page.waitForFunction(() => document.querySelector('[data-topic="home/blob"] pre')?.textContent === 'hex: ff 00 10')
    await page.getByRole('button', { name: 'Clear retained home/blob' }).click()
    await page.getByText('Cleared home/blob.').waitFor()
    await page.locator('[data-topic="home/blob"]').waitFor({ state: 'detached' })
    expect((await home.api('/v1/retained/home/blob')).status).toBe(404)
  }, 60_000)

  it('watches a filter live, pauses without losing messages, and keeps only the newest 200', async () => {
    const page = await signIn()
    await go(page, 'topics')
    await page.getByLabel('Topic filter').fill('watch/#')
    await page.getByRole('button', { name: 'Watch', exact: true }).click()
    const log = page.locator('#watch-log')
    await page.getByText(/^0 message\(s\)$/).waitFor()
    expect((await mosquittoPub(home.mqttPort, 'watch/a', 'one')).code).toBe(0)
    await log.getByText('watch/a').waitFor()
    await page.getByRole('button', { name: 'Pause' }).click()
    expect((await mosquittoPub(home.mqttPort, 'watch/b', 'two')).code).toBe(0)
    await page.getByText('2 message(s) · paused').waitFor()
    expect(await log.getByText('watch/b').count()).toBe(0)
    await page.getByRole('button', { name: 'Resume' }).click()
    await log.getByText('watch/b').waitFor()
    // 205 messages more from one mosquitto_pub -l (a line each): the oldest 7 of 207 are dropped.
    const many = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(home.mqttPort), '-t', 'watch/many', '-l', '-q', '1'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    })
    many.stdin!.end(`${Array.from({ length: 205 }, (_, i) => `m${i}`).join('\n')}\n`)
    await new Promise((resolve) => many.once('exit', resolve))
    await page.getByText('200 message(s), 7 older dropped').waitFor()
    expect(await log.locator('.card').count()).toBe(200)
    expect(await log.locator('.card').first().innerText()).toContain('m204')
  }, 60_000)

  it('publishes from the form to a topic that mosquitto_sub receives', async () => {
    const sub = await mosquittoSub(home.mqttPort, 'home/lamp/set')
    try {
      const page = await signIn()
      await go(page, 'topics')
      await page.getByLabel('Topic', { exact: true }).fill('home/lamp/set')
      await page.getByLabel('Payload').fill('{"on":true}')
      await page.getByLabel('QoS').selectOption('2')
      await page.getByRole('button', { name: 'Publish' }).click()
      await page.getByText('Published to home/lamp/set.').waitFor()
      expect(await sub.waitForLines(1)).toEqual(['home/lamp/set {"on":true}'])
    } finally {
      sub.stop()
    }
  }, 60_000)

  it('shows a door-sensor event with its battery, the quiet hours and the event history', async () => {
    expect((await mosquittoPub(home.mqttPort, 'home/hall/door', '{"state":"open","battery":3.71}', ['-q', '1'])).code).toBe(0)
    const page = await signIn()
    await go(page, 'sensors')
    const card = page.locator('[data-sensor="hall"]')
    await card.locator('[data-battery]').getByText('3.71 V').waitFor()
    expect(await card.locator('[data-state]').innerText()).toBe('open')
    expect(await card.innerText()).toContain('quiet 22:00–07:00')
    await card.getByText(/^Events \(1\)$/).click()
    expect(await card.locator('table').innerText()).toMatch(/Opened\s+3\.71 V/)
    // A second reading, past the debounce window: the battery chart appears.
    await new Promise((r) => setTimeout(r, 700))
    expect((await mosquittoPub(home.mqttPort, 'home/hall/door', '{"state":"closed","battery":3.69}', ['-q', '1'])).code).toBe(0)
    await waitFor(
      async () => {
        const res = await home.api('/v1/sensors/hall/events')
        return ((await res.json()) as { events: unknown[] }).events.length === 2
      },
      5000,
      'the closed event',
    )
    await page.reload()
    await card.locator('svg.chart').waitFor()
    expect(await card.locator('svg.chart').getAttribute('aria-label')).toMatch(/^Battery of Hall door: 3\.69 V now/)
  }, 60_000)

  it('lists a failing webhook on the overview and its deliveries with their status, and replays them once the receiver is back', async () => {
    receiverStatus = 500
    const page = await signIn()
    await go(page, 'webhooks')
    await page.getByLabel('Topic filter').fill('home/alarm/#')
    await page.getByLabel('URL').fill(receiver.url)
    await page.getByRole('button', { name: 'Add webhook' }).click()
    await page.locator('[data-secret]').waitFor()
    expect(await page.locator('[data-secret]').innerText()).toMatch(/^whsec_/)
    expect((await mosquittoPub(home.mqttPort, 'home/alarm/siren', 'wail', ['-q', '1'])).code).toBe(0)
    await waitFor(
      async () => {
        const { webhooks } = (await (await home.api('/v1/webhooks')).json()) as { webhooks: { dead: number }[] }
        return webhooks[0]?.dead === 1
      },
      10_000,
      'the message to run out of attempts',
    )
    // The overview lists it under what needs attention.
    await go(page, '')
    await page
      .locator('#attention')
      .getByText(/has 1 failed message\(s\) to http:\/\/127\.0\.0\.1/)
      .waitFor()
    await go(page, 'webhooks')
    const card = page.locator('[data-webhook]')
    await card.locator('[data-dead="1"]').waitFor()
    await card.getByRole('button', { name: 'Deliveries' }).click()
    const table = card.locator('table[data-deliveries]')
    await table.waitFor()
    expect(await table.innerText()).toMatch(/home\/alarm\/siren\s+2\s+dead\s+500/)
    receiverStatus = 200
    await card.getByRole('button', { name: 'Replay failed' }).click()
    await card.getByText('Re-queued 1 failed message(s).').waitFor()
    await waitFor(() => receiver.requests.length === 3, 10_000, 'the replayed delivery')
    await card.getByRole('button', { name: 'Deliveries' }).click()
    const delivered = table.locator('tr', { hasText: 'delivered' })
    await delivered.waitFor()
    expect(await delivered.innerText()).toMatch(/home\/alarm\/siren\s+1\s+delivered\s+200/)
    await card.getByRole('button', { name: 'Edit' }).click()
    await card.getByLabel('Topic filter').fill('home/alarm/+')
    await card.getByRole('button', { name: 'Save' }).click()
    await card.getByText('home/alarm/+', { exact: true }).waitFor()
    await card.getByRole('button', { name: 'Disable' }).click()
    await card.getByText('disabled', { exact: true }).waitFor()
    const { webhooks } = (await (await home.api('/v1/webhooks')).json()) as { webhooks: { enabled: boolean }[] }
    expect(webhooks[0]!.enabled).toBe(false)
    await card.getByRole('button', { name: 'Enable' }).click()
    await card.getByText('enabled', { exact: true }).waitFor()
  }, 60_000)

  it('adds a notifier from the form, sends test alerts and shows their outcome', async () => {
    const page = await signIn()
    await go(page, 'notifiers')
    const before = ntfy.requests.length // the door sensor's alerts went there too
    await page.locator('[data-notifier="phone"]').getByRole('button', { name: 'Send test alert' }).click()
    await page
      .locator('[data-notifier="phone"]')
      .getByText(/^Test alert sent/)
      .waitFor()
    expect(ntfy.requests.length).toBe(before + 1)
    await page.getByLabel('Id').fill('hook')
    await page.getByLabel('Type').selectOption('webhook')
    await page.getByLabel('url').fill(`${ntfy.url}/alerts`)
    await page.getByRole('button', { name: 'Add notifier' }).click()
    const card = page.locator('[data-notifier="hook"]')
    await card.getByRole('button', { name: 'Send test alert' }).click()
    await card.getByText(/^Test alert sent \(HTTP 200\)/).waitFor()
    expect(ntfy.requests.map((r) => r.path)).toContain('/alerts')
  }, 60_000)

  it('creates a token and an MQTT user, showing each secret once with a copy button', async () => {
    const page = await signIn()
    await go(page, 'access')
    await page.getByLabel('Name', { exact: true }).fill('kitchen tablet')
    await page.getByLabel('May read (filters)').fill('home/#')
    await page.getByRole('button', { name: 'Create token' }).click()
    const token = await page.locator('[data-secret]').first().innerText()
    expect(token).toMatch(/^pb_/)
    expect((await home.api('/v1/whoami', { token })).status).toBe(200)
    await page.locator('#tokens').getByText('kitchen tablet').waitFor()
    await page.getByLabel('Username').fill('door-hall')
    await page.getByRole('button', { name: 'Add user' }).click()
    await page.locator('#mqtt-users').getByText('door-hall', { exact: true }).waitFor()
    const password = await page.locator('[data-secret]').last().innerText()
    const pub = await mosquittoPub(home.mqttPort, 'devices/door-hall/state', 'hi', ['-u', 'door-hall', '-P', password, '-q', '1'])
    expect(pub.code, pub.stderr).toBe(0)
  }, 60_000)

  it('gives a read-only token a read-only dashboard, and the API refuses it too', async () => {
    const res = await home.api('/v1/tokens', json({ name: 'viewer', read: ['home/#'] }))
    const { token } = (await res.json()) as { token: string }
    const page = await signIn(token)
    expect(await page.locator('[data-role]').innerText()).toBe('read-only')
    for (const admin of ['Devices', 'Notifiers', 'Tokens & users']) expect(await page.getByRole('link', { name: admin }).isVisible()).toBe(false)
    await go(page, 'topics')
    await page.locator('[data-topic="home/lamp/state"]').waitFor()
    expect(await page.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true)
    expect(await page.locator('#pub-readonly').isVisible()).toBe(true)
    expect(await page.getByRole('button', { name: /^Clear retained/ }).count()).toBe(0)
    // The page's own token, straight at the API: refused.
    const status = await page.evaluate(async () => {
      const auth = { authorization: `Bearer ${sessionStorage.getItem('postbridge.token')}` }
      const pub = await fetch('/v1/publish/home/lamp/set', { method: 'POST', body: 'ON', headers: auth })
      const clear = await fetch('/v1/retained/home/lamp/state', { method: 'DELETE', headers: auth })
      return [pub.status, clear.status]
    })
    expect(status).toEqual([403, 403])
    // An admin page asked for by URL shows the overview instead.
    await go(page, 'access')
    expect(await page.locator('main h1').innerText()).toBe('Overview')
  }, 60_000)

  it('explains itself with JavaScript off and links to the API reference', async () => {
    const page = await open(DESKTOP, false)
    await page.goto(`${home.httpUrl}/`)
    expect(await page.locator('noscript, main').first().innerText()).toContain('This dashboard needs JavaScript')
    expect(await page.getByRole('link', { name: '/docs' }).getAttribute('href')).toBe('/docs')
    // The page links need a token, so they stay hidden.
    expect(await page.locator('#nav').isVisible()).toBe(false)
    await page.screenshot({ path: `${OUT}/dashboard-nojs.png` })
  }, 60_000)

  it('renders every page at desktop and phone widths, light and dark, every field labelled (screenshots in .ci/out/)', async () => {
    for (const [label, viewport, colorScheme] of [
      ['desktop', DESKTOP, 'light'],
      ['phone', PHONE, 'light'],
      ['dark', DESKTOP, 'dark'],
    ] as const) {
      const page = await signIn(TEST_ADMIN_TOKEN, viewport)
      await page.emulateMedia({ colorScheme })
      // Two samples at least, so the overview chart has a line.
      if (label === 'desktop') {
        await page.waitForFunction(() => !document.querySelector('.chart + p'), undefined, { timeout: 30_000 })
        expect(await page.locator('svg.chart polyline').count()).toBe(2)
      }
      for (const name of ['', 'devices', 'topics', 'sensors', 'webhooks', 'notifiers', 'access']) {
        await go(page, name)
        await page.waitForLoadState('networkidle').catch(() => {})
        await page.waitForTimeout(300)
        const unlabelled = await page.evaluate(() =>
          [...document.querySelectorAll('input, select, textarea')]
            .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
            .map((el) => el.outerHTML),
        )
        expect(unlabelled, name).toEqual([])
        await page.screenshot({ path: `${OUT}/dashboard-${name || 'overview'}-${label}.png`, fullPage: true })
      }
    }
  }, 120_000)

  it('asks no host but the node itself for anything', () => {
    expect(requested.length).toBeGreaterThan(20)
    const origin = new URL(home.httpUrl).origin
    expect(requested.filter((u) => new URL(u).origin !== origin)).toEqual([])
  })
})
