import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { fromBase64 } from '../util/bytes.js'
import { generateSecret, importSigningKey, parseSecret, signatureHeaders, signPayload } from './sign.js'

describe('webhook signing', () => {
  it('produces headers the standardwebhooks package verifies', async () => {
    const secret = generateSecret()
    const body = JSON.stringify({ id: 'msg_1', topic: 'home/door', payload: 'open' })
    const headers = await signatureHeaders(await importSigningKey(secret), 'msg_1', Date.now(), body)
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body))
  })

  it('signs "id.timestamp.body" exactly as the reference implementation does', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const body = '{"payload":"é ✓"}'
    const ours = await signPayload(await importSigningKey(secret), 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)
    expect(ours).toBe(new Webhook(secret).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330 * 1000), body))
  })

  it('puts whole seconds in webhook-timestamp, so a retry carries its own time', async () => {
    const key = await importSigningKey(generateSecret())
    const first = await signatureHeaders(key, 'msg_1', 1_700_000_000_999, '{}')
    const retry = await signatureHeaders(key, 'msg_1', 1_700_000_060_000, '{}')
    expect(first['webhook-timestamp']).toBe('1700000000')
    expect(retry['webhook-id']).toBe('msg_1')
    expect(retry['webhook-signature']).not.toBe(first['webhook-signature'])
  })

  it('generates distinct whsec_ secrets of 32 random bytes', () => {
    const a = generateSecret()
    expect(a).toMatch(/^whsec_/)
    expect(fromBase64(a.slice(6))?.byteLength).toBe(32)
    expect(generateSecret()).not.toBe(a)
  })

  it.each([
    ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'start with "whsec_"'],
    ['whsec_not base64!', 'followed by base64'],
    ['whsec_c2hvcnQ=', '24 to 64 bytes'],
    [`whsec_${btoa('x'.repeat(65))}`, '24 to 64 bytes'],
  ])('refuses the secret %s', (secret, reason) => {
    const parsed = parseSecret(secret)
    expect('reason' in parsed && parsed.reason).toContain(reason)
  })
})

describe('one signer for webhook deliveries and webhook notifiers', () => {
  it('signs a notifier alert exactly as a webhook delivery with the same key, id, time and body', async () => {
    const { webhookRequest, webhookBody } = await import('../notify/channels/webhook.js')
    const secret = generateSecret()
    const alert = { id: 'alert-1', title: 't', body: 'b', priority: 3, tags: [], at: 1_700_000_000_000 } as unknown as Parameters<
      typeof webhookBody
    >[0]
    const request = await webhookRequest({ id: 'w', type: 'webhook', url: 'http://hooks.lan/x', secret } as never, alert, 1_700_000_000_000)
    const expected = await signatureHeaders(await importSigningKey(secret), 'alert-1', 1_700_000_000_000, webhookBody(alert))
    expect(request.headers.get('webhook-signature')).toBe(expected['webhook-signature'])
  })

  it('refuses the same secrets for a notifier as for a webhook (keys of 24 to 64 bytes)', async () => {
    const { webhookRequest } = await import('../notify/channels/webhook.js')
    const alert = { id: 'a', title: 't', body: 'b', priority: 3, tags: [], at: 0 } as never
    await expect(
      webhookRequest({ id: 'w', type: 'webhook', url: 'http://hooks.lan/x', secret: `whsec_${btoa('short')}` } as never, alert, 0),
    ).rejects.toThrow(/24 to 64 bytes/)
  })
})
