import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { api, bytes, EDGE_SECRET, linkHome, openLink, type TestHome } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())

async function health(hub: DurableObjectStub) {
  return (await (await api(hub, '/v1/health')).json()) as { status: string; link: Record<string, unknown> }
}

describe('the link: who may connect', () => {
  it('accepts the edge secret as the CONNECT password and shows home online in /v1/health', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    const h = await health(hub)
    expect(h.status).toBe('ok')
    expect(h.link).toMatchObject({ home: 'online', linkRefused: 0 })
    home.close()
  })

  it('refuses a wrong password with CONNACK not-authorized (0x87), closes, and counts it [MQTT-3.2.2-6]', async () => {
    const hub = freshHub()
    const home = (await openLink(hub)) as TestHome
    home.send({
      cmd: 'connect',
      protocolVersion: 5,
      clientId: 'x',
      clean: true,
      keepalive: 60,
      username: 'postbridge-home',
      password: bytes('not-the-edge-secret'),
    })
    expect((await home.next('connack')).reasonCode).toBe(0x87)
    expect(await home.closed).toBe(1008)
    const h = await health(hub)
    expect(h.status).toBe('degraded')
    expect(h.link).toMatchObject({ home: 'offline', linkRefused: 1 })
    expect(h.link.lastRefusedAt).toEqual(expect.any(String))
  })

  it('refuses a CONNECT without a password', async () => {
    const hub = freshHub()
    const home = (await openLink(hub)) as TestHome
    home.send({ cmd: 'connect', protocolVersion: 5, clientId: 'x', clean: true, keepalive: 60 })
    expect((await home.next('connack')).reasonCode).toBe(0x87)
  })

  it('answers a 3.1.1 client with return code 5 (not authorized)', async () => {
    const hub = freshHub()
    const home = (await openLink(hub)) as TestHome
    home.send({ cmd: 'connect', protocolVersion: 4, clientId: 'x', clean: true, keepalive: 60, username: 'u', password: bytes('wrong-wrong-wrong') })
    // The test parser reads v5; a 3.1.1 CONNACK has no properties, so its second byte is the return code.
    const connack = await home.next('connack')
    expect(connack.reasonCode ?? connack.returnCode).toBe(5)
  })

  it('refuses a wrong bearer header before the upgrade with 401', async () => {
    const res = await openLink(freshHub(), { authorization: 'Bearer not-the-edge-secret' })
    expect(res).toBeInstanceOf(Response)
    expect((res as Response).status).toBe(401)
  })

  it('accepts the edge secret as a bearer header, with no CONNECT password', async () => {
    const hub = freshHub()
    const home = (await openLink(hub, { authorization: `Bearer ${EDGE_SECRET}` })) as TestHome
    home.send({ cmd: 'connect', protocolVersion: 5, clientId: 'x', clean: true, keepalive: 60 })
    expect((await home.next('connack')).reasonCode).toBe(0)
    home.close()
  })

  it('answers 426 to a plain GET of /v1/link', async () => {
    const res = await freshHub().fetch('http://edge.test/v1/link')
    expect(res.status).toBe(426)
  })

  it('echoes the mqtt subprotocol, which mqtt.js requires [MQTT-6.0.0-3]', async () => {
    const res = await freshHub().fetch('http://edge.test/v1/link', { headers: { upgrade: 'websocket', 'sec-websocket-protocol': 'mqtt' } })
    expect(res.status).toBe(101)
    expect(res.headers.get('sec-websocket-protocol')).toBe('mqtt')
    res.webSocket?.accept()
    res.webSocket?.close()
  })

  it('closes a link whose first packet is not CONNECT [MQTT-3.1.0-1]', async () => {
    const home = (await openLink(freshHub())) as TestHome
    home.send({ cmd: 'pingreq' })
    expect(await home.closed).toBe(1002)
  })

  it('answers PINGREQ with PINGRESP', async () => {
    const home = await linkHome(freshHub())
    home.send({ cmd: 'pingreq' })
    await home.next('pingresp')
    home.close()
  })

  it('lets a new link take over from an old one that did not say goodbye', async () => {
    const hub = freshHub()
    const first = await linkHome(hub)
    const second = await linkHome(hub)
    expect((await first.next('disconnect')).reasonCode).toBe(0x8e)
    await first.closed
    expect((await health(hub)).link.home).toBe('online')
    second.close()
  })

  it('shows home offline once the link closes', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send({ cmd: 'disconnect' })
    await home.closed
    const h = await health(hub)
    expect(h.link.home).toBe('offline')
    expect(h.link.since).toEqual(expect.any(String))
  })
})
