import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FakeFetch, type RecordedRequest } from '../testing/fake-fetch.js'
import { TestClock } from '../testing/test-clock.js'
import { MemoryWebhookStore } from '../testing/memory-webhook-store.js'
import { startHarness, TEST_SECRET } from '../testing/webhook-harness.js'

const URL_A = 'http://receiver.test/a'
const URL_B = 'http://receiver.test/b'

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function harness(options: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(options)
  closers.push(() => h.dispatcher.close())
  return h
}

const sent = (fake: FakeFetch, url = URL_A) =>
  fake.requests.filter((r) => r.url === url).map((r) => (JSON.parse(r.body) as { payload: string }).payload)
/** Waits the lanes asked for (the 10-minute prune timer left out). */
const retryWaits = (scheduler: TestClock) => scheduler.pending.filter((ms) => ms < 300_000)
const metric = (h: { dispatcher: { metricLines(): { name: string; value: number }[] } }, name: string) =>
  h.dispatcher.metricLines().find((m) => m.name === name)?.value
/** Lets lanes run their promise chains (real macrotask turns; the clock does not move). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
}

describe('webhook dispatcher', () => {
  it('POSTs a matching message with the documented body and a signature standardwebhooks accepts', async () => {
    const h = await harness()
    await h.service.create({ filter: 'home/+/state', url: URL_A, secret: TEST_SECRET }, 'tok')
    await h.publish('home/door/state', 'open')
    await h.publish('home/door/battery', '3.7')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(1))
    const request = h.fetch.requests[0]!
    const body = new Webhook(TEST_SECRET).verify(request.body, request.headers) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['id', 'topic', 'payload', 'encoding', 'qos', 'retain', 'cleared', 'receivedAt', 'properties'])
    expect(body).toEqual({
      id: request.headers['webhook-id'],
      topic: 'home/door/state',
      payload: 'open',
      encoding: 'utf8',
      qos: 1,
      retain: false,
      cleared: false,
      receivedAt: new Date(h.scheduler.now()).toISOString(),
      properties: {},
    })
    expect(request.headers['content-type']).toBe('application/json')
  })

  it('states the retain flag as published and marks a retained clear with cleared: true', async () => {
    const h = await harness()
    await h.service.create({ filter: 'lamp/#', url: URL_A }, 'tok')
    await h.bus.publish({ topic: 'lamp/1', payload: new TextEncoder().encode('on'), qos: 1, retain: true })
    await h.publish('lamp/1', '')
    await h.bus.clearRetained('lamp/1')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(3))
    const bodies = h.fetch.requests.map((r) => JSON.parse(r.body) as { payload: string; retain: boolean; cleared: boolean })
    expect(bodies.map((b) => [b.payload, b.retain, b.cleared])).toEqual([
      ['on', true, false],
      ['', false, false],
      ['', true, true],
    ])
  })

  it('sends non-UTF-8 payloads as base64 and carries MQTT 5 properties', async () => {
    const h = await harness()
    await h.service.create({ filter: 'bin/#', url: URL_A }, 'tok')
    await h.bus.publish({
      topic: 'bin/x',
      payload: new Uint8Array([0xff, 0x00, 0xfe]),
      qos: 0,
      retain: false,
      properties: { contentType: 'application/octet-stream', userProperties: { a: '1' } },
    })
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(1))
    expect(JSON.parse(h.fetch.requests[0]!.body)).toMatchObject({
      payload: '/wD+',
      encoding: 'base64',
      qos: 0,
      properties: { contentType: 'application/octet-stream', userProperties: { a: '1' } },
    })
  })

  it('sends the extra headers of the hook', async () => {
    const h = await harness()
    await h.service.create({ filter: 'a', url: URL_A, headers: { Authorization: 'Bearer ha-token' } }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(1))
    expect(h.fetch.requests[0]!.headers.authorization).toBe('Bearer ha-token')
  })

  it('commits the outbox rows inside the Bus callback, before the publish is acknowledged', async () => {
    const store = new MemoryWebhookStore()
    const h = await harness({ store, fetch: new FakeFetch(() => 'hang') })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.service.create({ filter: '#', url: URL_B }, 'tok')
    const acknowledged = h.publish('a') // MemoryBus calls subscribers before publish() returns
    expect(store.enqueueCalls).toEqual([1, 1])
    await acknowledged
    expect(await h.store.counts(webhook.id)).toEqual({ pending: 1, dead: 0 })
  })

  it('appends the rows of every hook sharing a filter in one store call', async () => {
    const store = new MemoryWebhookStore()
    const h = await harness({ store })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.service.create({ filter: 'a', url: URL_B }, 'tok')
    await h.publish('a', '1')
    expect(store.enqueueCalls).toEqual([2])
  })

  it('keeps order across retries: a failing head holds back the messages behind it', async () => {
    let failures = 0
    const fake = new FakeFetch((r) => (JSON.parse(r.body).payload === '1' && failures++ < 2 ? 500 : 200))
    const h = await harness({ fetch: fake })
    await h.service.create({ filter: 'seq', url: URL_A }, 'tok')
    for (const n of ['1', '2', '3']) await h.publish('seq', n)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1']))
    await settle()
    expect(retryWaits(h.scheduler)).toEqual([3000]) // first retry after 3 s, nothing else sent
    await h.scheduler.advance(3000)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1']))
    await settle()
    expect(retryWaits(h.scheduler)).toEqual([9000])
    await h.scheduler.advance(9000)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1', '1', '2', '3']))
  })

  it('waits as long as Retry-After asks', async () => {
    let first = true
    const fake = new FakeFetch(() => (first ? ((first = false), new Response(null, { status: 503, headers: { 'retry-after': '42' } })) : 200))
    const h = await harness({ fetch: fake })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1))
    await settle()
    expect(retryWaits(h.scheduler)).toEqual([42_000])
  })

  it('marks a message dead after maxAttempts, lists it, and moves on to the next', async () => {
    const fake = new FakeFetch((r) => (JSON.parse(r.body).payload === 'bad' ? 'network-error' : 200))
    const h = await harness({ fetch: fake, config: { maxAttempts: 3, retryBase: 100 } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', 'bad')
    await h.publish('a', 'good')
    for (const wait of [100, 300]) {
      await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([wait]))
      await h.scheduler.advance(wait)
    }
    await vi.waitFor(() => expect(sent(fake)).toEqual(['bad', 'bad', 'bad', 'good']))
    await vi.waitFor(async () => expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 1 }))
    const dead = await h.service.deliveries(webhook.id, { limit: 10, outcome: 'dead' })
    expect(dead).toHaveLength(1)
    expect(dead[0]).toMatchObject({ attempt: 3, topicName: 'a', outcome: 'dead' })
    expect(dead[0]!.error).toContain('ECONNREFUSED')
  })

  it('marks a message dead once the next try would pass maxAge', async () => {
    const fake = new FakeFetch(() => 500)
    const h = await harness({ fetch: fake, config: { maxAge: '2s', retryBase: '1s' } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([1000]))
    await h.scheduler.advance(1000)
    await vi.waitFor(async () => expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 1 }))
    expect(fake.requests).toHaveLength(2) // the wait after the 2nd failure (3 s) would end past 2 s of age
  })

  it('disables the hook on 410 Gone and sends nothing more until it is enabled again', async () => {
    let gone = true
    const fake = new FakeFetch(() => (gone ? 410 : 200))
    const h = await harness({ fetch: fake })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', '1')
    await vi.waitFor(async () => expect((await h.service.get(webhook.id))?.enabled).toBe(false))
    expect((await h.service.get(webhook.id))?.disabledReason).toBe('gone')
    expect((await h.store.getWebhook(webhook.id))?.enabled).toBe(false)
    await h.publish('a', '2')
    await settle()
    expect(sent(fake)).toEqual(['1'])
    expect((await h.service.deliveries(webhook.id, { limit: 5 }))[0]).toMatchObject({ status: 410, outcome: 'gone' })
    gone = false
    const { webhook: enabled } = await h.service.update(webhook.id, { enabled: true })
    expect(enabled.disabledReason).toBeUndefined()
    // The held message goes, then '2', which came while the hook was disabled and waited (issue 10).
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1', '2']))
  })

  it('does not let a receiver that never answers delay another webhook', async () => {
    const fake = new FakeFetch((r) => (r.url === URL_A ? 'hang' : 200))
    const h = await harness({ fetch: fake, config: { timeout: '1h' } })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.service.create({ filter: 'a', url: URL_B }, 'tok')
    for (const n of ['1', '2', '3']) await h.publish('a', n)
    await vi.waitFor(() => expect(sent(fake, URL_B)).toEqual(['1', '2', '3']))
    expect(sent(fake, URL_A)).toEqual(['1'])
  })

  it('resumes the outbox after a restart, in order, with the attempts already made', async () => {
    const store = new MemoryWebhookStore()
    const scheduler = new TestClock(Date.now())
    const down = new FakeFetch(() => 'network-error')
    const first = await startHarness({ store, scheduler, fetch: down })
    const { webhook } = await first.service.create({ filter: 'a', url: URL_A }, 'tok')
    for (const n of ['1', '2', '3']) await first.publish('a', n)
    await vi.waitFor(() => expect(down.requests).toHaveLength(1))
    await first.dispatcher.close()

    const up = new FakeFetch(() => 200)
    const second = await harness({ store, scheduler, fetch: up })
    await settle()
    expect(up.requests).toHaveLength(0) // the head waits for its retry time
    await scheduler.advance(3000)
    await vi.waitFor(() => expect(sent(up)).toEqual(['1', '2', '3']))
    await vi.waitFor(async () => expect(await store.counts(webhook.id)).toEqual({ pending: 0, dead: 0 }))
    const log = await second.service.deliveries(webhook.id, { limit: 10 })
    expect(log.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'delivered'],
      [1, 'delivered'],
      [2, 'delivered'],
      [1, 'retry'],
    ])
  })

  it('holds laneBuffer rows in memory and delivers every row in order when more are waiting', async () => {
    let open = false
    const fake = new FakeFetch(() => (open ? 200 : 503))
    const h = await harness({ fetch: fake, extra: { laneBuffer: 2 } })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    for (let n = 1; n <= 7; n++) await h.publish('a', String(n))
    await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([3000]))
    expect(metric(h, 'postbridge_webhook_backlog')).toBe(2)
    open = true
    await h.scheduler.advance(3000)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1', '2', '3', '4', '5', '6', '7']))
  })

  it('holds laneBufferBytes of bodies in memory and delivers every row in order when more are waiting', async () => {
    let open = false
    const fake = new FakeFetch(() => (open ? 200 : 503))
    const payload = (n: number) => `${n}${'é'.repeat(100)}`
    const h = await harness({ fetch: fake, extra: { laneBufferBytes: 800 } })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    for (let n = 1; n <= 7; n++) await h.publish('a', payload(n))
    await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([3000]))
    // Every body has the same size, over a third of 800 bytes (UTF-8) and at most half: two fit.
    const bodyBytes = new TextEncoder().encode(fake.requests[0]!.body).length
    expect(bodyBytes).toBeGreaterThan(800 / 3)
    expect(bodyBytes).toBeLessThanOrEqual(400)
    expect(metric(h, 'postbridge_webhook_backlog')).toBe(2)
    expect(metric(h, 'postbridge_webhook_backlog_bytes')).toBe(2 * bodyBytes)
    open = true
    await h.scheduler.advance(3000)
    const all = [1, 1, 2, 3, 4, 5, 6, 7].map(payload)
    await vi.waitFor(() => expect(sent(fake)).toEqual(all))
    expect(metric(h, 'postbridge_webhook_backlog_bytes')).toBe(0)
  })

  it('holds a row larger than laneBufferBytes on its own and delivers it', async () => {
    let open = false
    const fake = new FakeFetch(() => (open ? 200 : 503))
    const h = await harness({ fetch: fake, extra: { laneBufferBytes: 10 } })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    for (let n = 1; n <= 3; n++) await h.publish('a', String(n))
    await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([3000]))
    expect(metric(h, 'postbridge_webhook_backlog')).toBe(1)
    open = true
    await h.scheduler.advance(3000)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1', '2', '3']))
  })

  it('replays dead messages first, then the rest', async () => {
    let up = false
    const fake = new FakeFetch(() => (up ? 200 : 500))
    const h = await harness({ fetch: fake, config: { maxAttempts: 1 } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', '1')
    await h.publish('a', '2')
    await vi.waitFor(async () => expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 2 }))
    up = true
    expect(await h.service.replay(webhook.id)).toBe(2)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '2', '1', '2']))
    await vi.waitFor(async () => expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 0 }))
  })

  it('makes a waiting retry due now on replay', async () => {
    let up = false
    const fake = new FakeFetch(() => (up ? 200 : 500))
    const h = await harness({ fetch: fake })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', '1')
    await vi.waitFor(() => expect(retryWaits(h.scheduler)).toEqual([3000]))
    up = true
    expect(await h.service.replay(webhook.id)).toBe(0)
    await vi.waitFor(() => expect(sent(fake)).toEqual(['1', '1']))
  })

  it('keeps the messages that arrive while a hook is disabled, and delivers them in order once it is enabled (issue 10)', async () => {
    const h = await harness()
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A, enabled: false }, 'tok')
    await h.publish('a', '1')
    await h.publish('a', '2')
    await settle()
    expect(h.fetch.requests).toHaveLength(0)
    expect(await h.store.counts(webhook.id)).toEqual({ pending: 2, dead: 0 })
    await h.service.update(webhook.id, { enabled: true })
    await vi.waitFor(() => expect(sent(h.fetch)).toEqual(['1', '2']))
  })

  it('keeps a hook outbox within webhooks.maxOutboxBytes: the oldest go to dead, counted in the metrics (issue 10)', async () => {
    let up = false
    const fake = new FakeFetch(() => (up ? 200 : 503))
    const h = await harness({ fetch: fake, config: { maxOutboxBytes: 2048 } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A, enabled: false }, 'tok')
    for (let n = 1; n <= 6; n++) await h.publish('a', `${n}`.padEnd(500, '.'))
    await settle()
    const counts = await h.store.counts(webhook.id)
    expect(counts.pending).toBeLessThan(6)
    expect(counts.pending + counts.dead).toBe(6)
    const evicted = h.dispatcher.metricLines().find((l) => l.name === 'postbridge_webhook_outbox_evicted_total')
    expect(evicted?.value).toBe(counts.dead)
    up = true
    await h.service.update(webhook.id, { enabled: true })
    await vi.waitFor(() => expect(sent(fake)).toHaveLength(counts.pending))
    // The newest messages got through; the oldest are dead, to replay or to let go.
    expect(sent(fake).at(-1)!.startsWith('6')).toBe(true)
    expect(sent(fake)[0]!.startsWith('1')).toBe(false)
  })

  it('caps the webhooks one token may create at webhooks.maxPerToken (issue 10)', async () => {
    const h = await harness({ config: { maxPerToken: 2 } })
    const { webhook: first } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.service.create({ filter: 'b', url: URL_A }, 'tok')
    await expect(h.service.create({ filter: 'c', url: URL_A }, 'tok')).rejects.toMatchObject({ code: 40970, status: 409 })
    await h.service.create({ filter: 'c', url: URL_A }, 'other')
    await h.service.remove(first.id)
    await h.service.create({ filter: 'c', url: URL_A }, 'tok')
  })

  it('delivers a message matching two hooks with overlapping filters once to each', async () => {
    const h = await harness()
    await h.service.create({ filter: 'home/#', url: URL_A }, 'tok')
    await h.service.create({ filter: 'home/+', url: URL_B }, 'tok')
    await h.publish('home/x', 'once')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(2))
    await settle()
    expect(sent(h.fetch, URL_A)).toEqual(['once'])
    expect(sent(h.fetch, URL_B)).toEqual(['once'])
  })

  it('follows a filter change and unsubscribes filters nobody uses', async () => {
    const h = await harness()
    const { webhook } = await h.service.create({ filter: 'old', url: URL_A }, 'tok')
    await h.service.update(webhook.id, { filter: 'new' })
    expect(h.bus.subscriberCount).toBe(1)
    await h.publish('old', 'o')
    await h.publish('new', 'n')
    await vi.waitFor(() => expect(sent(h.fetch)).toEqual(['n']))
  })

  it('signs with the new secret after it is changed', async () => {
    const h = await harness()
    const { webhook, secret } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', '1')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(1))
    await h.service.update(webhook.id, { secret: TEST_SECRET })
    await h.publish('a', '2')
    await vi.waitFor(() => expect(h.fetch.requests).toHaveLength(2))
    const [r1, r2] = h.fetch.requests as [RecordedRequest, RecordedRequest]
    expect(() => new Webhook(secret).verify(r1.body, r1.headers)).not.toThrow()
    expect(() => new Webhook(TEST_SECRET).verify(r2.body, r2.headers)).not.toThrow()
  })

  it('does not use a signature made ahead with a secret that changed meanwhile', async () => {
    let release: (status: number) => void = () => {}
    const fake = new FakeFetch((_r, i) => (i === 0 ? new Promise<number>((r) => (release = r)) : 200))
    const h = await harness({ fetch: fake })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a', '1')
    await h.publish('a', '2') // queued behind '1', signed ahead while '1' is in flight
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1))
    await settle()
    await h.service.update(webhook.id, { secret: TEST_SECRET })
    release(200)
    await vi.waitFor(() => expect(fake.requests).toHaveLength(2))
    const second = fake.requests[1]!
    expect(() => new Webhook(TEST_SECRET).verify(second.body, second.headers)).not.toThrow()
  })

  it('deletes a hook: aborts its attempt in flight, forgets its outbox and stops matching', async () => {
    const fake = new FakeFetch(() => 'hang')
    const h = await harness({ fetch: fake, config: { timeout: '1h' } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1))
    expect(await h.service.remove(webhook.id)).toBe(true)
    expect(fake.requests[0]!.signal?.aborted).toBe(true)
    expect(await h.store.getWebhook(webhook.id)).toBeUndefined()
    expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 0 })
    expect(h.bus.subscriberCount).toBe(0)
  })

  it('does not count an attempt cut short by shutdown, so it is sent again after a restart', async () => {
    const store = new MemoryWebhookStore()
    const fake = new FakeFetch(() => 'hang')
    const h = await startHarness({ store, fetch: fake, config: { timeout: '1h' } })
    const { webhook } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1))
    await h.dispatcher.close()
    expect(await store.pending(webhook.id, 0, 10)).toMatchObject([{ attempts: 0, nextAttemptAt: 0 }])
    expect(await store.attempts(webhook.id, { limit: 10 })).toEqual([])
  })

  it('re-checks the URL policy at delivery time, so a name that moved to loopback is refused', async () => {
    let address = '93.184.216.34'
    const h = await harness({ config: { allowPrivate: false }, extra: { resolve: async () => [address] } })
    const { webhook } = await h.service.create({ filter: 'a', url: 'https://moving.example/hook' }, 'tok')
    address = '127.0.0.1'
    await h.scheduler.advance(61_000) // past the cached check
    await h.publish('a')
    await vi.waitFor(async () => expect(await h.service.deliveries(webhook.id, { limit: 1 })).toHaveLength(1))
    expect(h.fetch.requests).toHaveLength(0)
    expect((await h.service.deliveries(webhook.id, { limit: 1 }))[0]).toMatchObject({
      outcome: 'retry',
      error: expect.stringContaining('refused: moving.example resolves to 127.0.0.1'),
    })
  })

  it('sends a test message outside the queue and logs it', async () => {
    const fake = new FakeFetch(() => 202)
    const h = await harness({ fetch: fake })
    const { webhook, secret } = await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    expect(await h.service.test(webhook.id)).toMatchObject({ ok: true, status: 202 })
    const request = fake.requests[0]!
    expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({ topic: '$postbridge/webhooks/test' })
    expect((await h.service.deliveries(webhook.id, { limit: 1 }))[0]).toMatchObject({ outcome: 'test', status: 202 })
    expect(await h.store.counts(webhook.id)).toEqual({ pending: 0, dead: 0 })
  })

  it('logs and counts an outbox write that fails, without throwing into the bus', async () => {
    const store = new MemoryWebhookStore()
    const h = await harness({ store })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    store.failWith = new Error('disk full')
    await h.publish('a')
    await settle()
    expect(h.log.lines.some((l) => l.level === 'error' && l.msg === 'cannot append to the webhook outbox')).toBe(true)
    expect(h.dispatcher.metricLines().find((m) => m.name === 'postbridge_webhook_enqueue_errors_total')?.value).toBe(1)
  })

  it('pauses a lane after a store error and carries on once the store works again', async () => {
    const store = new MemoryWebhookStore()
    const h = await harness({ store, extra: { laneBuffer: 1 } })
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    const pending = store.pending.bind(store)
    let broken = true
    store.pending = async (...args) => {
      if (broken) throw new Error('database is locked')
      return pending(...args)
    }
    await h.publish('a', '1')
    await h.publish('a', '2') // beyond the lane's buffer: it must read the store
    await vi.waitFor(() => expect(h.log.lines.some((l) => l.msg === 'webhook lane error')).toBe(true))
    broken = false
    await h.scheduler.advance(1000)
    await vi.waitFor(() => expect(sent(h.fetch)).toEqual(['1', '2']))
  })

  it('prunes the attempts log at start and every ten minutes', async () => {
    const store = new MemoryWebhookStore()
    const calls: number[] = []
    store.prune = async (keep) => void calls.push(keep)
    const h = await harness({ store })
    expect(calls).toEqual([1000])
    await h.scheduler.advance(10 * 60_000)
    expect(calls).toEqual([1000, 1000])
  })

  it('unsubscribes from the bus on close and counts what it delivered', async () => {
    const h = await harness()
    await h.service.create({ filter: 'a', url: URL_A }, 'tok')
    await h.publish('a')
    await vi.waitFor(() => expect(h.dispatcher.metricLines().find((m) => m.labels?.outcome === 'delivered')?.value).toBe(1))
    expect(h.dispatcher.metricLines().find((m) => m.name === 'postbridge_webhook_messages_matched_total')?.value).toBe(1)
    await h.dispatcher.close()
    expect(h.bus.subscriberCount).toBe(0)
  })
})
