/** The dashboard at the edge (issue 13): the Worker as `wrangler deploy` builds it serves the same files, with the same CSP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DASHBOARD_CSP } from '../src/routes/dashboard.js'
import { hasChromium, launchChromium } from './fixtures/browser.js'
import { buildWorker, EDGE_ADMIN_TOKEN, startWranglerDev, tempPersistDir, type WranglerDev } from './fixtures/wrangler-dev.js'
import { tempDir } from './fixtures/temp-dir.js'

let state: ReturnType<typeof tempPersistDir>
let edge: WranglerDev

beforeAll(async () => {
  const bundleDir = await buildWorker(tempDir('postbridge-edge-build-'))
  state = tempPersistDir()
  edge = await startWranglerDev({ bundleDir, persistTo: state.dir })
}, 120_000)

afterAll(async () => {
  await edge?.stop()
  state?.remove()
})

describe('the dashboard at the edge', () => {
  it('serves index.html at / and the scripts under /ui/ with the home node CSP, while /v1 still reaches the API', async () => {
    const page = await fetch(`${edge.url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(await page.text()).toContain('<script type="module" src="/ui/app.js"></script>')
    const script = await fetch(`${edge.url}/ui/app.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect(await script.text()).toContain("from './lib.js'")
    // Health details need a token (the public answer is only ok/degraded).
    const health = await fetch(`${edge.url}/v1/health`, { headers: { authorization: `Bearer ${EDGE_ADMIN_TOKEN}` } })
    expect(health.headers.get('content-type')).toMatch(/json/)
    expect(((await health.json()) as { broker: { kind: string } }).broker.kind).toBe('link')
  })

  it.skipIf(!hasChromium())(
    'signs in at the edge and says which pages have no data there',
    async () => {
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        page.setDefaultTimeout(15_000)
        const origins = new Set<string>()
        page.on('request', (r) => origins.add(new URL(r.url()).origin))
        await page.goto(`${edge.url}/`)
        await page.getByLabel('API token').fill(EDGE_ADMIN_TOKEN)
        await page.keyboard.press('Enter')
        await page.getByText('home offline').waitFor()
        await page.goto(`${edge.url}/#/devices`)
        await page.getByText(/not available with an external broker or at the edge/).waitFor()
        expect([...origins]).toEqual([edge.url])
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})
