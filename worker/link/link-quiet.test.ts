import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { RecordingFetch } from '../../src/testing/notify-harness.js'
import { ConfigError } from '../../src/config.js'
import { api, eventually, inHub, linkHome } from '../testing/test-home.js'
import { DEFAULT_LINK_QUIET_MS, parseLinkQuietSettings } from './link-quiet.js'

// The worker project sets POSTBRIDGE_EDGE_LINK_QUIET=1s and POSTBRIDGE_EDGE_LINK_NOTIFY=phone (vitest.config.ts).
async function hubWithPhone() {
  const hub = env.LINK_HUB.getByName(crypto.randomUUID())
  const phone = new RecordingFetch()
  await inHub(hub, (h) => {
    h.outboundFetch = phone.fetch
  })
  const created = await api(hub, '/v1/notifiers', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'phone', type: 'ntfy', server: 'https://ntfy.test', topic: 'edge-7f3k2q' }),
  })
  expect(created.status).toBe(201)
  return { hub, phone, titles: () => phone.bodies.map((b) => b.title as string) }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the edge notices that the link went quiet', () => {
  it('alerts once when home stays away past the quiet time, and once when it is back', async () => {
    const { hub, titles } = await hubWithPhone()
    const home = await linkHome(hub)
    home.close()
    await home.closed
    await eventually(async () => expect(titles()).toEqual([expect.stringMatching(/^Postbridge home link is down since \d\d:\d\d$/)]), 5000)
    // Once per outage: later alarms (the object's or a forced one) send nothing more.
    await runDurableObjectAlarm(hub)
    await sleep(1200)
    expect(titles()).toHaveLength(1)
    const back = await linkHome(hub)
    await eventually(async () => expect(titles()[1]).toBe('Postbridge home link is back'))
    const deliveries = (await (await api(hub, '/v1/notifiers/phone/deliveries')).json()) as { deliveries: { outcome: string }[] }
    expect(deliveries.deliveries.map((d) => d.outcome)).toEqual(['sent', 'sent'])
    back.close()
  })

  it('stays silent when home is back within the quiet time', async () => {
    const { hub, titles } = await hubWithPhone()
    const home = await linkHome(hub)
    home.close()
    await home.closed
    const again = await linkHome(hub)
    await sleep(1600)
    await runDurableObjectAlarm(hub)
    expect(titles()).toEqual([])
    again.close()
  })

  it('reads 10m when unset, off when empty, and names a bad value', () => {
    expect(parseLinkQuietSettings({})).toEqual({ quietMs: DEFAULT_LINK_QUIET_MS, notifierIds: [] })
    expect(parseLinkQuietSettings({ POSTBRIDGE_EDGE_LINK_QUIET: '', POSTBRIDGE_EDGE_LINK_NOTIFY: 'a, b' })).toEqual({ notifierIds: ['a', 'b'] })
    expect(() => parseLinkQuietSettings({ POSTBRIDGE_EDGE_LINK_QUIET: 'soon' })).toThrow(ConfigError)
  })
})
