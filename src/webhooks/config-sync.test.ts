import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config.js'
import { MemoryWebhookStore } from '../testing/memory-webhook-store.js'
import { hookRecord } from '../testing/webhook-store-contract.js'
import { TEST_SECRET } from '../testing/webhook-harness.js'
import { syncDeclaredHooks } from './config-sync.js'

const declared = (hooks: unknown[], extra: Record<string, unknown> = {}) => parseConfig({ webhooks: { hooks, ...extra } }, {}).webhooks.hooks
const ctx = (env: Record<string, string> = {}) => ({ env, now: 5000, urlPolicy: { allowPrivate: false } })
const HA = { id: 'home-assistant', filter: 'home/door/#', url: 'http://192.168.1.20:8123/api/webhook/door' }

describe('syncDeclaredHooks', () => {
  it('creates declared hooks with the secret from secretEnv', async () => {
    const store = new MemoryWebhookStore()
    await syncDeclaredHooks(store, declared([{ ...HA, secretEnv: 'HA_SECRET', headers: { 'X-A': '1' } }]), ctx({ HA_SECRET: TEST_SECRET }))
    expect(await store.getWebhook('home-assistant')).toEqual({
      id: 'home-assistant',
      topicFilter: 'home/door/#',
      url: HA.url,
      secret: TEST_SECRET,
      headers: { 'X-A': '1' },
      enabled: true,
      source: 'config',
      createdAt: 5000,
      updatedAt: 5000,
    })
  })

  it('generates a secret once and keeps it across starts when no secretEnv is given', async () => {
    const store = new MemoryWebhookStore()
    await syncDeclaredHooks(store, declared([HA]), ctx())
    const first = (await store.getWebhook(HA.id))!.secret
    expect(first).toMatch(/^whsec_/)
    await syncDeclaredHooks(store, declared([HA]), { ...ctx(), now: 9000 })
    const again = (await store.getWebhook(HA.id))!
    expect(again.secret).toBe(first)
    expect(again.updatedAt).toBe(5000)
  })

  it('removes declared hooks that left the file, and leaves API hooks alone', async () => {
    const store = new MemoryWebhookStore()
    await store.putWebhook(hookRecord('wh_api'))
    await syncDeclaredHooks(store, declared([HA, { ...HA, id: 'other' }]), ctx())
    await syncDeclaredHooks(store, declared([HA]), ctx())
    expect((await store.listWebhooks()).map((h) => h.id).sort()).toEqual(['home-assistant', 'wh_api'])
  })

  it('keeps a hook disabled by 410 across restarts until its URL changes in the file', async () => {
    const store = new MemoryWebhookStore()
    await syncDeclaredHooks(store, declared([HA]), ctx())
    await store.putWebhook({ ...(await store.getWebhook(HA.id))!, enabled: false, disabledReason: 'gone' })
    await syncDeclaredHooks(store, declared([HA]), ctx())
    expect(await store.getWebhook(HA.id)).toMatchObject({ enabled: false, disabledReason: 'gone' })
    await syncDeclaredHooks(store, declared([{ ...HA, url: 'http://192.168.1.21:8123/api/webhook/door' }]), ctx())
    expect((await store.getWebhook(HA.id))?.enabled).toBe(true)
  })

  it('fails at start on a refused URL or a missing or bad secret, naming each hook, and stores nothing', async () => {
    const store = new MemoryWebhookStore()
    const hooks = declared([
      { ...HA, id: 'a', url: 'http://127.0.0.1:9000/x' },
      { ...HA, id: 'b', secretEnv: 'MISSING' },
      { ...HA, id: 'c', secretEnv: 'BAD' },
    ])
    await expect(syncDeclaredHooks(store, hooks, ctx({ BAD: 'nope' }))).rejects.toThrow(
      /hooks\[0\] \(a\)\.url: 127\.0\.0\.1 is a loopback.*hooks\[1\] \(b\)\.secretEnv: environment variable MISSING is not set.*hooks\[2\] \(c\)\.secretEnv: BAD: secret must start/,
    )
    expect(await store.listWebhooks()).toEqual([])
  })
})
