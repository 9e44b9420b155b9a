import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../config.js'

function problems(file: unknown): string[] {
  try {
    parseConfig(file, {})
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

describe('webhooks config section', () => {
  it('has documented defaults when absent', () => {
    expect(parseConfig({}, {}).webhooks).toEqual({
      allowPrivate: false,
      timeout: 10_000,
      maxAttempts: 8,
      maxAge: 86_400_000,
      retryBase: 3000,
      maxPerToken: 20,
      maxOutboxBytes: 4 * 1024 * 1024,
      hooks: [],
    })
  })

  it('reads durations and declared hooks', () => {
    const webhooks = parseConfig(
      { webhooks: { timeout: '5s', maxAge: '2h', hooks: [{ id: 'ha', filter: 'home/#', url: 'http://192.168.1.2/x' }] } },
      {},
    ).webhooks
    expect(webhooks).toMatchObject({ timeout: 5000, maxAge: 7_200_000, hooks: [{ id: 'ha', filter: 'home/#', headers: {}, enabled: true }] })
  })

  it('names every bad key, unknown keys included', () => {
    expect(problems({ webhooks: { retries: 3, hooks: [{ id: 'wh_1', filter: 'a/#/b', url: 'ftp://x', secret: 'whsec_x' }] } }).sort()).toEqual([
      'unknown key "webhooks.retries"',
      "webhooks.hooks.0.filter: '#' must be the whole last level of a topic filter",
      'webhooks.hooks.0.id: ids starting with "wh_" are for webhooks made through the API',
      'webhooks.hooks.0.secret: secrets come from the environment: write "env:NAME" and set NAME',
      'webhooks.hooks.0.url: url must be http or https, not ftp',
    ])
  })

  it('refuses duplicate ids and reserved headers', () => {
    const hook = { id: 'a', filter: 'x', url: 'http://192.168.1.2/' }
    expect(problems({ webhooks: { hooks: [hook, { ...hook, headers: { 'Content-Type': 'x' } }] } })).toEqual([
      'webhooks.hooks.1.headers: header "Content-Type" is set by Postbridge',
      'webhooks.hooks.1.id: duplicate webhook id "a"',
    ])
  })

  it('names a declared secret as env:NAME, as notifiers do, and still reads the deprecated secretEnv', () => {
    const hook = { id: 'ha', filter: 'home/#', url: 'http://192.168.1.2/x' }
    expect(parseConfig({ webhooks: { hooks: [{ ...hook, secret: 'env:HA_SECRET' }] } }, {}).webhooks.hooks[0]).toMatchObject({
      secretEnv: 'HA_SECRET',
    })
    expect(parseConfig({ webhooks: { hooks: [{ ...hook, secretEnv: 'HA_SECRET' }] } }, {}).webhooks.hooks[0]).toMatchObject({
      secretEnv: 'HA_SECRET',
    })
    expect(problems({ webhooks: { hooks: [{ ...hook, secret: 'env:A', secretEnv: 'B' }] } })).toEqual([
      'webhooks.hooks.0.secretEnv: give secret: env:NAME or the older secretEnv, not both',
    ])
  })
})
