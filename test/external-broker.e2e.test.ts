/** broker.external (issue 5): the home node as an MQTT 5 client of Debian's mosquitto instead of its embedded broker. */
import { afterEach, describe, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub, mosquittoSub, type SubProcess } from './fixtures/mosquitto.js'
import { startMosquitto, type MosquittoBroker } from './fixtures/mosquitto-broker.js'

let mosquitto: MosquittoBroker | undefined
let home: TestHome | undefined
const subs: SubProcess[] = []

afterEach(async () => {
  for (const s of subs.splice(0)) s.stop()
  await home?.stop()
  await mosquitto?.stop()
  home = undefined
  mosquitto = undefined
})

async function homeOnMosquitto(): Promise<{ home: TestHome; mosquitto: MosquittoBroker }> {
  mosquitto = await startMosquitto()
  home = await startTestHome({ broker: { external: mosquitto.url } })
  return { home, mosquitto }
}

describe('the home node on an external broker', () => {
  it('starts no MQTT listener of its own and reports the external broker in /v1/health', async () => {
    const { home, mosquitto } = await homeOnMosquitto()
    expect(home.mqttPort).toBe(0)
    const health = (await (await home.api('/v1/health')).json()) as {
      status: string
      broker: { kind: string; connected: boolean; detail: { url: string } }
    }
    expect(health).toMatchObject({ status: 'ok', broker: { kind: 'external', connected: true } })
    expect(health.broker.detail.url).toBe(`${mosquitto.url}`)
  })

  it('publishes POST /v1/publish to mosquitto, where mosquitto_sub (MQTT 5) receives it', async () => {
    const { home, mosquitto } = await homeOnMosquitto()
    const sub = await mosquittoSub(mosquitto.port, 'house/relay/1/set', ['-V', 'mqttv5', '-q', '1'])
    subs.push(sub)
    const res = await home.api('/v1/publish/house/relay/1/set', { method: 'POST', body: 'ON' })
    expect(res.status).toBe(200)
    expect(await sub.waitForLines(1)).toEqual(['house/relay/1/set ON'])
  })

  it('serves what mosquitto_pub retained from GET /v1/retained', async () => {
    const { home, mosquitto } = await homeOnMosquitto()
    expect((await mosquittoPub(mosquitto.port, 'house/relay/1/state', 'OFF', ['-r', '-q', '1', '-V', 'mqttv5'])).code).toBe(0)
    const body = await waitFor(
      async () => {
        const r = await home.api('/v1/retained/house/relay/1/state')
        return r.status === 200 ? r.text() : undefined
      },
      5000,
      'retained state at home',
    )
    expect(body).toBe('OFF')
  })

  it('answers 503 while mosquitto is down', async () => {
    const { home, mosquitto } = await homeOnMosquitto()
    await mosquitto.stop()
    await waitFor(async () => (await home.api('/v1/health')).status === 503, 5000, 'health down')
    expect((await home.api('/v1/publish/house/x', { method: 'POST', body: 'x' })).status).toBe(503)
  })
})
