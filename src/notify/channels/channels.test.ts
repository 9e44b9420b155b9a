import { describe, expect, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { notifierSchema } from '../config.js'
import type { Alert } from '../model.js'
import { buildRequest } from './index.js'

const at = Date.UTC(2024, 2, 1, 14, 3, 12)
const alert: Alert = {
  id: 'alert-1',
  title: 'Haustür opened',
  body: 'at 14:03:12 · battery 3.71 V',
  priority: 5,
  tags: ['door', 'unlock', 'rotating_light'],
  click: 'http://cam.lan/front',
  at,
}
const build = (spec: unknown, a: Alert = alert) => buildRequest(notifierSchema.parse(spec), a, at + 5000)
const headersOf = (r: Request) => Object.fromEntries(r.headers.entries())

describe('ntfy', () => {
  it('publishes JSON to the root URL with topic, title, message, priority, tags and click', async () => {
    const r = await build({ id: 'n', type: 'ntfy', server: 'https://ntfy.example.com', topic: 'doors-7f3k' })
    expect([r.method, r.url]).toEqual(['POST', 'https://ntfy.example.com/'])
    expect(headersOf(r)).toEqual({ 'content-type': 'application/json' })
    expect(await r.json()).toEqual({
      topic: 'doors-7f3k',
      title: 'Haustür opened',
      message: 'at 14:03:12 · battery 3.71 V',
      priority: 5,
      tags: ['door', 'unlock', 'rotating_light'],
      click: 'http://cam.lan/front',
    })
  })

  it('keeps a path prefix and sends an access token as Bearer, user:password as Basic', async () => {
    const r = await build({ id: 'n', type: 'ntfy', server: 'https://example.com/ntfy', topic: 't', token: 'tk_abc' })
    expect(r.url).toBe('https://example.com/ntfy/')
    expect(r.headers.get('authorization')).toBe('Bearer tk_abc')
    const basic = await build({ id: 'n', type: 'ntfy', server: 'https://ntfy.sh/', topic: 't', token: 'phil:secret' })
    expect(basic.headers.get('authorization')).toBe(`Basic ${btoa('phil:secret')}`)
  })
})

describe('gotify', () => {
  it('posts JSON to /message with the app token in X-Gotify-Key and the click URL in extras', async () => {
    const r = await build({ id: 'g', type: 'gotify', server: 'http://gotify.lan:8080/', token: 'AbC.123' })
    expect([r.method, r.url]).toEqual(['POST', 'http://gotify.lan:8080/message'])
    expect(headersOf(r)).toEqual({ 'content-type': 'application/json', 'x-gotify-key': 'AbC.123' })
    expect(await r.json()).toEqual({
      title: 'Haustür opened',
      message: 'at 14:03:12 · battery 3.71 V',
      priority: 10,
      extras: { 'client::notification': { click: { url: 'http://cam.lan/front' } } },
    })
  })
})

describe('pushover', () => {
  it('posts the documented form fields to /1/messages.json', async () => {
    const r = await build({ id: 'p', type: 'pushover', appToken: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi', userKey: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG' })
    expect([r.method, r.url]).toEqual(['POST', 'https://api.pushover.net/1/messages.json'])
    expect(r.headers.get('content-type')).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(await r.text()))).toEqual({
      token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
      user: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
      title: 'Haustür opened',
      message: 'at 14:03:12 · battery 3.71 V',
      priority: '1',
      timestamp: String(at / 1000),
      url: 'http://cam.lan/front',
    })
  })

  it('maps quiet alerts to -1 and honours apiBase', async () => {
    const r = await build({ id: 'p', type: 'pushover', appToken: 'a', userKey: 'u', apiBase: 'http://127.0.0.1:9999' }, { ...alert, priority: 2 })
    expect(r.url).toBe('http://127.0.0.1:9999/1/messages.json')
    expect(new URLSearchParams(await r.text()).get('priority')).toBe('-1')
  })
})

describe('telegram', () => {
  it('posts chat_id and text to /bot<token>/sendMessage', async () => {
    const r = await build({ id: 't', type: 'telegram', botToken: '123456:ABC-DEF', chatId: -1001234567890 })
    expect([r.method, r.url]).toEqual(['POST', 'https://api.telegram.org/bot123456:ABC-DEF/sendMessage'])
    expect(headersOf(r)).toEqual({ 'content-type': 'application/json' })
    expect(await r.json()).toEqual({ chat_id: -1001234567890, text: 'Haustür opened\nat 14:03:12 · battery 3.71 V\nhttp://cam.lan/front' })
  })

  it('sends low-priority alerts without a sound', async () => {
    const r = await build({ id: 't', type: 'telegram', botToken: 'x', chatId: '@doors', apiBase: 'http://127.0.0.1:1' }, {
      ...alert,
      priority: 2,
      click: undefined,
    } as Alert)
    expect(await r.json()).toEqual({ chat_id: '@doors', text: 'Haustür opened\nat 14:03:12 · battery 3.71 V', disable_notification: true })
  })
})

describe('webhook', () => {
  it('posts the alert as JSON, unsigned without a secret', async () => {
    const r = await build({ id: 'w', type: 'webhook', url: 'http://hooks.lan/doors' })
    expect([r.method, r.url]).toEqual(['POST', 'http://hooks.lan/doors'])
    expect(headersOf(r)).toEqual({ 'content-type': 'application/json' })
    expect(await r.json()).toEqual({
      type: 'postbridge.alert',
      id: 'alert-1',
      title: 'Haustür opened',
      body: 'at 14:03:12 · battery 3.71 V',
      priority: 5,
      tags: ['door', 'unlock', 'rotating_light'],
      click: 'http://cam.lan/front',
      at: new Date(at).toISOString(),
    })
  })

  it('signs per Standard Webhooks so a standard verifier accepts it', async () => {
    const secret = `whsec_${btoa('0123456789abcdef0123456789abcdef')}`
    const r = await build({ id: 'w', type: 'webhook', url: 'http://hooks.lan/doors', secret })
    const body = await r.text()
    const headers = headersOf(r)
    expect(headers['webhook-id']).toBe('alert-1')
    expect(headers['webhook-timestamp']).toBe(String(Math.floor((at + 5000) / 1000)))
    const verifier = new Webhook(secret)
    // The library checks the timestamp against its own clock: verify at the signing time.
    const realNow = Date.now
    Date.now = () => at + 5000
    try {
      expect(verifier.verify(body, headers)).toMatchObject({ id: 'alert-1' })
    } finally {
      Date.now = realNow
    }
  })
})
