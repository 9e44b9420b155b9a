/**
 * Names an outsider picks over HTTP (topics, query parameter and header names, JSON keys, token, webhook,
 * notifier and sensor names) that name members of Object.prototype are only names: they get what any other name
 * gets, nothing throws and nothing is polluted. The HTTP app with its stores on a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startNotifyHarness } from '../src/testing/notify-harness.js'
import { createTestApp } from '../src/testing/test-app.js'
import { startHarness } from '../src/testing/webhook-harness.js'
import { openDatabase, type Db } from './store/db.js'
import { SqliteNotifierStore } from './store/notifiers-sqlite.js'
import { SqliteSensorStore } from './store/sensors-sqlite.js'
import { SqliteWebhookStore } from './store/webhooks-sqlite.js'

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const
/** What each name is compared with: a name of the same shape with no meaning to JavaScript (ids may not start with "_"). */
const plainLike = (name: string) => (name.startsWith('_') ? '__plain__' : 'plain')

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(Object.getOwnPropertyNames(Object.getPrototypeOf({})))
})

function freshDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'pb-proto-'))
  const db = openDatabase(dir)
  cleanups.push(() => {
    if (db.open) db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return db
}

const json = (body: unknown, method = 'POST') => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })

async function setup() {
  const db = freshDb()
  const notify = await startNotifyHarness({ sensorStore: new SqliteSensorStore(db) as never, notifierStore: new SqliteNotifierStore(db) as never })
  const hooks = await startHarness({ bus: notify.bus, store: new SqliteWebhookStore(db) })
  cleanups.push(() => hooks.dispatcher.close())
  const t = await createTestApp({ bus: notify.bus, notify: notify.service, webhooks: hooks.service })
  return { ...t, bus: notify.bus, notify, hooks }
}

describe('names an outsider picks over HTTP, named like members of Object.prototype', () => {
  it('publish: topic, query parameter and header names, user property and payload JSON keys', async () => {
    const t = await setup()
    const outcome = async (name: string) => {
      const published = t.bus.published.length
      const topic = await t.call(`/v1/publish/${name}?retain=true`, { method: 'POST', body: 'x', headers: { [name]: 'x' } })
      const retained = await t.call(`/v1/retained/${name}`)
      const listed = (await (await t.call(`/v1/retained?filter=${name}`)).json()) as { messages?: { topic: string }[] }
      const cleared = await t.call(`/v1/retained/${name}`, { method: 'DELETE' })
      const query = await t.call(`/v1/publish/a?${name}=1`, { method: 'POST', body: 'x' })
      const envelope = await t.call(
        '/v1/publish',
        json({
          topic: `t/${name}`,
          encoding: 'json',
          payload: JSON.parse(`{"${name}":{"${name}":1}}`),
          properties: { userProperties: JSON.parse(`{"${name}":"v","x":["a","b"]}`) },
        }),
      )
      const sent = t.bus.published.slice(published)
      return {
        topic: topic.status,
        retained: [retained.status, await retained.text(), listed.messages?.map((m) => m.topic === name), cleared.status],
        topics: sent.map((m) => m.topic.replace(name, '<name>')),
        query: [query.status, ((await query.json()) as { detail?: string }).detail?.replace(name, '<name>')],
        envelope: envelope.status,
        payload: sent.map((m) => new TextDecoder().decode(m.payload).replaceAll(name, '<name>')),
        userProperties: sent.map((m) =>
          m.properties?.userProperties ? JSON.stringify(m.properties.userProperties).replace(name, '<name>') : undefined,
        ),
      }
    }
    const expected = await outcome('plain')
    expect(expected.topics).toEqual(['<name>', '<name>', 't/<name>']) // published, cleared, the envelope
    expect(expected.retained.slice(0, 3)).toEqual([200, 'x', [true]])
    expect(expected.userProperties[2]).toBe('{"<name>":"v","x":["a","b"]}')
    expect(expected.payload[2]).toBe('{"<name>":{"<name>":1}}')
    for (const name of NAMES) expect({ name, ...(await outcome(name)) }).toEqual({ name, ...expected })
  })

  it('tokens, webhooks (filter and header names), notifiers and sensors by those names', async () => {
    const t = await setup()
    const outcome = async (name: string) => {
      const token = await t.call('/v1/tokens', json({ name, publish: [name], read: [name] }))
      const { id: tokenId } = (await token.json()) as { id: string }
      const tokens = (await (await t.call('/v1/tokens')).json()) as { tokens: { id: string; name: string }[] }
      const hook = await t.call('/v1/webhooks', json({ filter: name, url: 'http://192.168.1.20/hook', headers: { [name]: 'v' } }))
      const { id: hookId } = (await hook.json()) as { id: string }
      const shownHook = (await (await t.call(`/v1/webhooks/${hookId}`)).json()) as { filter: string; headerNames: string[] }
      // A message on that topic is delivered with that header.
      await t.notify.publish(name, 'x')
      const delivered = await vi.waitFor(() => {
        const request = t.hooks.fetch.requests.find((r) => (JSON.parse(r.body) as { topic?: string }).topic === name)
        if (!request) throw new Error('not delivered yet')
        return request.headers[name.toLowerCase()]
      })
      const notifier = await t.call('/v1/notifiers', json({ id: name, type: 'ntfy', server: 'http://ntfy.lan', topic: name }))
      const sensor = await t.call('/v1/sensors', json({ id: name, name, topic: `door/${name}`, heartbeat: '24h', notify: [name] }))
      await t.notify.publish(`door/${name}`, `{"state":"open","${name}":1}`)
      const shown = (await (await t.call(`/v1/sensors/${name}`)).json()) as { id: string; state?: string }
      const removed = [
        (await t.call(`/v1/sensors/${name}`, { method: 'DELETE' })).status,
        (await t.call(`/v1/notifiers/${name}`, { method: 'DELETE' })).status,
        (await t.call(`/v1/tokens/${tokenId}`, { method: 'DELETE' })).status,
      ]
      return {
        token: token.status,
        listed: tokens.tokens.some((x) => x.id === tokenId && x.name === name),
        hook: hook.status,
        delivered,
        shownHook: [shownHook.filter === name, shownHook.headerNames.map((n) => (n === name ? '<name>' : n))],
        notifier: notifier.status,
        sensor: sensor.status,
        shown: [shown.id === name, shown.state],
        removed,
        again: (await t.call(`/v1/sensors/${name}`)).status,
      }
    }
    expect(await outcome('plain')).toMatchObject({
      token: 201,
      listed: true,
      hook: 201,
      shownHook: [true, ['<name>']],
      notifier: 201,
      sensor: 201,
      shown: [true, 'open'],
      again: 404,
    })
    for (const name of NAMES) expect({ name, ...(await outcome(name)) }).toEqual({ name, ...(await outcome(plainLike(name))) })
  })

  // zod's z.record skips a key named `__proto__` without an issue; these records keep it (own-key-record.ts).
  it('a JSON record key named __proto__ (user property, webhook header) is kept like any other', async () => {
    const t = await setup()
    const sent = await t.call('/v1/publish', json({ topic: 't', payload: 'x', properties: { userProperties: JSON.parse('{"__proto__":"v"}') } }))
    expect(sent.status).toBe(200)
    expect(Object.entries(t.bus.published.at(-1)?.properties?.userProperties ?? {})).toEqual([['__proto__', 'v']])
    const hook = await t.call('/v1/webhooks', json({ filter: 'a', url: 'http://192.168.1.20/hook', headers: JSON.parse('{"__proto__":"v"}') }))
    const { id } = (await hook.json()) as { id: string }
    expect(((await (await t.call(`/v1/webhooks/${id}`)).json()) as { headerNames: string[] }).headerNames).toEqual(['__proto__'])
  })
})
