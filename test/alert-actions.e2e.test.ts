/**
 * Phone alerts that act, end to end: a real home node, mosquitto_pub as the door sensor, ntfy and Telegram stand-ins
 * checked against their documented request shapes, and mosquitto_sub seeing what a button press publishes.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub, mosquittoSub } from './fixtures/mosquitto.js'
import { startProviderStub, type ProviderStub } from './fixtures/provider-stub.js'

const BOT = '123456:ABC-test-bot-token'

/** A Telegram Bot API stand-in: records sendMessage, hands out queued button presses through getUpdates. */
async function startTelegram() {
  const sent: { reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] } }[] = []
  const answers: { callback_query_id: string; text: string }[] = []
  const presses: unknown[] = []
  let updateId = 1
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const json = body ? JSON.parse(body) : {}
      const reply = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }))
      if (req.url === `/bot${BOT}/sendMessage`) {
        sent.push(json)
        reply({ message_id: sent.length })
      } else if (req.url === `/bot${BOT}/getUpdates`) {
        // A short long-poll: answer at once when a press is queued, else after a little while.
        const deliver = () => reply(presses.splice(0).map((p) => ({ update_id: updateId++, callback_query: p })))
        if (presses.length > 0) deliver()
        else setTimeout(deliver, 100)
      } else if (req.url === `/bot${BOT}/answerCallbackQuery`) {
        answers.push(json)
        reply(true)
      } else res.writeHead(404).end('{"ok":false}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    answers,
    press: (id: string, data: string) => presses.push({ id, data, from: { id: 1 } }),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  }
}

let ntfy: ProviderStub
let telegram: Awaited<ReturnType<typeof startTelegram>>
let home: TestHome | undefined
beforeEach(async () => {
  ntfy = await startProviderStub('{"id":"x","event":"message"}')
  telegram = await startTelegram()
  process.env.POSTBRIDGE_SECRET_TEST_BOT = BOT
})
afterEach(async () => {
  await home?.stop()
  home = undefined
  await ntfy.close()
  await telegram.close()
  delete process.env.POSTBRIDGE_SECRET_TEST_BOT
})

async function start(): Promise<TestHome> {
  home = await startTestHome({
    http: { publicUrl: 'https://pi.example.net:8080' },
    // The provider stand-ins listen on loopback, which notifier URLs may use only with allowPrivate.
    webhooks: { allowPrivate: true },
    notifiers: [
      { id: 'phone', type: 'ntfy', server: ntfy.url, topic: 'doors' },
      { id: 'tg', type: 'telegram', botToken: 'env:POSTBRIDGE_SECRET_TEST_BOT', chatId: 42, apiBase: telegram.url },
    ],
    sensors: [
      {
        id: 'back',
        name: 'Back door',
        topic: 'home/back/door',
        debounce: '100ms',
        notify: ['phone', 'tg'],
        actions: [{ label: 'Turn on porch light', topic: 'home/porch/light/set', payload: 'ON' }, { label: 'I know' }],
      },
    ],
  })
  return home
}

async function doorOpens(node: TestHome) {
  const { code, stderr } = await mosquittoPub(node.mqttPort, 'home/back/door', 'open', ['-q', '1'])
  expect(code, stderr).toBe(0)
}

interface NtfyAction {
  action: string
  label: string
  url: string
  method: string
  clear: boolean
}

it('puts ntfy http actions on the alert, and a press publishes exactly once', async () => {
  const node = await start()
  const light = await mosquittoSub(node.mqttPort, 'home/porch/light/set')
  try {
    await doorOpens(node)
    const request = (await waitFor(() => ntfy.requests[0], 10_000, 'ntfy alert'))!
    const actions = (JSON.parse(request.body) as { actions: NtfyAction[] }).actions
    expect(actions.map((a) => [a.action, a.label, a.method, a.clear])).toEqual([
      ['http', 'Turn on porch light', 'POST', true],
      ['http', 'I know', 'POST', true],
    ])
    expect(actions[0]!.url).toMatch(/^https:\/\/pi\.example\.net:8080\/v1\/actions\/[A-Za-z0-9_-]{32}$/)
    // What the ntfy app does with the button: POST the URL, with no token of ours.
    const path = new URL(actions[0]!.url).pathname
    const first = await node.api(path, { method: 'POST', token: null })
    expect(first.status).toBe(200)
    expect(await light.waitForLines(1)).toEqual(['home/porch/light/set ON'])
    const replay = await node.api(path, { method: 'POST', token: null })
    expect(replay.status).toBe(410)
    await new Promise((r) => setTimeout(r, 300))
    expect(light.lines).toEqual(['home/porch/light/set ON'])
  } finally {
    light.stop()
  }
})

it('puts Telegram callback buttons on the alert and answers a press read through getUpdates', async () => {
  const node = await start()
  const light = await mosquittoSub(node.mqttPort, 'home/porch/light/set')
  try {
    await doorOpens(node)
    const message = (await waitFor(() => telegram.sent[0], 10_000, 'telegram alert'))!
    const [porch, iKnow] = message.reply_markup!.inline_keyboard[0]!
    expect(porch!.text).toBe('Turn on porch light')
    expect(iKnow!.text).toBe('I know')
    telegram.press('q1', porch!.callback_data)
    expect(await light.waitForLines(1)).toEqual(['home/porch/light/set ON'])
    await waitFor(() => telegram.answers.length > 0, 5000, 'answerCallbackQuery')
    expect(telegram.answers[0]).toEqual({ callback_query_id: 'q1', text: 'Done: Turn on porch light' })
    // The same button pressed again (or its ntfy twin, which shares the token) publishes nothing.
    telegram.press('q2', porch!.callback_data)
    await waitFor(() => telegram.answers.length > 1, 5000, 'second answer')
    expect(telegram.answers[1]).toEqual({ callback_query_id: 'q2', text: 'Already used' })
    expect(light.lines).toEqual(['home/porch/light/set ON'])
  } finally {
    light.stop()
  }
})

it('refuses a sensor with buttons when no public address is configured', async () => {
  await expect(startTestHome({ sensors: [{ id: 'b', name: 'B', topic: 'home/b', actions: [{ label: 'x', topic: 'home/x' }] }] })).rejects.toThrow(
    'sensors.0.actions: alert buttons need http.publicUrl',
  )
})
