/**
 * Alert buttons through the edge: with edge.url set and no public address of home's own, an alert's buttons link to
 * the Worker, which asks home over the link. A real wrangler dev, a linked home node, mosquitto as the sensor and the
 * light, and an ntfy stand-in.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestHome, waitFor, type TestHome } from './fixtures/home.js'
import { mosquittoPub, mosquittoSub } from './fixtures/mosquitto.js'
import { startProviderStub, type ProviderStub } from './fixtures/provider-stub.js'
import { buildWorker, EDGE_SECRET, startWranglerDev, tempPersistDir, type WranglerDev } from './fixtures/wrangler-dev.js'
import { tempDir } from './fixtures/temp-dir.js'

let edge: WranglerDev
let state: ReturnType<typeof tempPersistDir>
let ntfy: ProviderStub
let home: TestHome

beforeAll(async () => {
  const bundleDir = await buildWorker(tempDir('postbridge-edge-build-'))
  state = tempPersistDir()
  edge = await startWranglerDev({ bundleDir, persistTo: state.dir, vars: {} })
  ntfy = await startProviderStub('{"id":"x","event":"message"}')
  home = await startTestHome(
    {
      mqtt: { allowAnonymous: true },
      edge: { url: edge.url, minReconnectDelay: '200ms', maxReconnectDelay: '1s' },
      // The ntfy stand-in listens on loopback.
      webhooks: { allowPrivate: true },
      notifiers: [{ id: 'phone', type: 'ntfy', server: ntfy.url, topic: 'doors' }],
      sensors: [
        {
          id: 'back',
          name: 'Back door',
          topic: 'home/back/door',
          debounce: '100ms',
          notify: ['phone'],
          actions: [{ label: 'Porch light', topic: 'home/porch/set', payload: 'ON' }],
        },
      ],
    },
    { env: { POSTBRIDGE_EDGE_SECRET: EDGE_SECRET } },
  )
  await waitFor(
    async () => ((await (await home.api('/v1/health')).json()) as { edge: { state: string } }).edge.state === 'online',
    20_000,
    'link online',
  )
}, 180_000)

afterAll(async () => {
  await home?.stop()
  await ntfy?.close()
  await edge?.stop()
  state?.remove()
})

it('links the buttons to the edge, and a press there publishes at home exactly once', async () => {
  const light = await mosquittoSub(home.mqttPort, 'home/porch/set')
  try {
    const { code, stderr } = await mosquittoPub(home.mqttPort, 'home/back/door', 'open', ['-q', '1'])
    expect(code, stderr).toBe(0)
    const request = (await waitFor(() => ntfy.requests[0], 15_000, 'ntfy alert'))!
    const [action] = (JSON.parse(request.body) as { actions: { url: string }[] }).actions
    expect(action!.url.startsWith(`${edge.url}/v1/actions/`)).toBe(true)
    // What the phone does: POST the edge's URL, without a bearer token.
    const first = await fetch(action!.url, { method: 'POST', signal: AbortSignal.timeout(15_000) })
    expect(first.status).toBe(200)
    expect(await first.json()).toMatchObject({ ok: true, label: 'Porch light', topic: 'home/porch/set' })
    expect(await light.waitForLines(1)).toEqual(['home/porch/set ON'])
    const again = await fetch(action!.url, { method: 'POST', signal: AbortSignal.timeout(15_000) })
    expect(again.status).toBe(410)
    // A page to confirm works at the edge too, and changes nothing.
    const page = await fetch(action!.url, { signal: AbortSignal.timeout(15_000) })
    expect(page.status).toBe(410)
    expect(light.lines).toEqual(['home/porch/set ON'])
  } finally {
    light.stop()
  }
})

it('answers 404 at the edge for a token home does not know', async () => {
  const res = await fetch(`${edge.url}/v1/actions/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, { method: 'POST', signal: AbortSignal.timeout(15_000) })
  expect(res.status).toBe(404)
})
