import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { api, bytes, linkHome, text } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())

describe('what home sends up', () => {
  it('acknowledges a PUBLISH from home and answers GET /v1/retained from the retained ones', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send({
      cmd: 'publish',
      topic: 'home/door/front',
      payload: bytes('open'),
      qos: 1,
      messageId: 7,
      retain: true,
      dup: false,
      properties: { contentType: 'text/plain' },
    })
    expect((await home.next('puback')).messageId).toBe(7)
    const raw = await api(hub, '/v1/retained/home/door/front')
    expect([raw.status, await raw.text(), raw.headers.get('content-type')]).toEqual([200, 'open', 'text/plain'])
    const list = (await (await api(hub, '/v1/retained?filter=home/%23')).json()) as { messages: { topic: string }[] }
    expect(list.messages.map((m) => m.topic)).toEqual(['home/door/front'])
    home.close()
  })

  it('does not keep a message that was not retained', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send({ cmd: 'publish', topic: 'home/t', payload: bytes('21.5'), qos: 1, messageId: 1, retain: false, dup: false })
    await home.next('puback')
    expect((await api(hub, '/v1/retained/home/t')).status).toBe(404)
    home.close()
  })

  it('clears the edge retained message on an empty retained PUBLISH [MQTT-3.3.1-6]', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send({ cmd: 'publish', topic: 'a', payload: bytes('x'), qos: 1, messageId: 1, retain: true, dup: false })
    await home.next('puback')
    home.send({ cmd: 'publish', topic: 'a', payload: bytes(''), qos: 1, messageId: 2, retain: true, dup: false })
    await home.next('puback')
    expect((await api(hub, '/v1/retained/a')).status).toBe(404)
    home.close()
  })

  it('keeps the retained state and the queue when the Durable Object restarts', async () => {
    const name = crypto.randomUUID()
    let hub = env.LINK_HUB.getByName(name)
    const home = await linkHome(hub)
    home.send({ cmd: 'publish', topic: 'state', payload: bytes('kept'), qos: 1, messageId: 1, retain: true, dup: false })
    await home.next('puback')
    home.close()
    await home.closed
    expect((await api(hub, '/v1/publish/cmd', { method: 'POST', body: 'held' })).status).toBe(202)
    // Only this object: its memory is gone, its storage stays.
    await runInDurableObject(hub, (_h, state) => state.abort('restart')).catch(() => {})
    hub = env.LINK_HUB.getByName(name)
    expect(await (await api(hub, '/v1/retained/state')).text()).toBe('kept')
    const back = await linkHome(hub)
    expect(text((await back.next('publish')).payload)).toBe('held')
    back.close()
  })

  it('streams what comes up to GET /v1/subscribe (SSE)', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const res = await api(hub, '/v1/subscribe?filter=home/%23')
    expect(res.status).toBe(200)
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let seen = ''
    while (!seen.includes('event: ready')) seen += (await reader.read()).value ?? ''
    home.send({ cmd: 'publish', topic: 'other/x', payload: bytes('not for us'), qos: 1, messageId: 1, retain: false, dup: false })
    await home.next('puback')
    home.send({ cmd: 'publish', topic: 'home/door', payload: bytes('open'), qos: 1, messageId: 2, retain: false, dup: false })
    while (!seen.includes('event: message')) seen += (await reader.read()).value ?? ''
    expect(seen).toContain('"topic":"home/door"')
    expect(seen).not.toContain('other/x')
    await reader.cancel()
    home.close()
  })

  it('answers POST /v1/request across the link with the reply that comes up', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const pending = api(hub, '/v1/request/home/thermostat/get?timeout=3000', { method: 'POST', body: 'now?' })
    const req = await home.next('publish')
    home.send({ cmd: 'puback', messageId: req.messageId })
    const { responseTopic, correlationData } = req.properties ?? {}
    expect(responseTopic).toMatch(/^postbridge\/reply\//)
    home.send({
      cmd: 'publish',
      topic: responseTopic!,
      payload: bytes('21.5'),
      qos: 1,
      messageId: 9,
      retain: false,
      dup: false,
      properties: { correlationData: correlationData! },
    })
    const res = await pending
    expect([res.status, await res.text()]).toEqual([200, '21.5'])
    home.close()
  })

  it('counts messages up and down in /metrics', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send({ cmd: 'publish', topic: 'a', payload: bytes('x'), qos: 1, messageId: 1, retain: false, dup: false })
    await home.next('puback')
    const metrics = await (await api(hub, '/metrics')).text()
    expect(metrics).toMatch(/postbridge_mqtt_messages_received_total 1/)
    home.close()
  })
})
