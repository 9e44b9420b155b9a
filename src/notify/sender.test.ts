import { describe, expect, it } from 'vitest'
import { MemoryNotifierStore } from '../testing/memory-notifier-store.js'
import { RecordingLogger } from '../testing/recording-logger.js'
import { TestClock } from '../testing/test-clock.js'
import { notifierSchema, type NotifierSpec } from './config.js'
import type { Alert } from './model.js'
import { AlertSender } from './sender.js'

/** Answers from a script, records what it was asked. */
function scriptedFetch(answer: (i: number) => number | 'network-error') {
  const urls: string[] = []
  const fetch = (async (input: Request) => {
    urls.push(input.url)
    const a = answer(urls.length - 1)
    if (a === 'network-error') throw new TypeError('fetch failed')
    return new Response(a >= 400 ? 'provider says no' : 'ok', { status: a })
  }) as unknown as typeof globalThis.fetch
  return { fetch, urls }
}

function setup(answer: (i: number) => number | 'network-error', notifier: Partial<NotifierSpec> = {}) {
  const clock = new TestClock()
  const store = new MemoryNotifierStore()
  const spec = notifierSchema.parse({ id: 'phone', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors', ...notifier })
  const { fetch, urls } = scriptedFetch(answer)
  let ids = 0
  const log = new RecordingLogger()
  const sender = new AlertSender({
    fetch,
    now: clock.now,
    scheduler: clock,
    store,
    log,
    offset: () => 0,
    newId: () => `id${++ids}`,
    notifier: async (id) => (id === spec.id ? spec : undefined),
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
    random: () => 0.5,
  })
  const advance = (ms: number) => clock.advance(ms, () => sender.settled())
  return { clock, store, sender, urls, advance, log }
}

const alert = (i = 1): Alert => ({
  id: `alert${i}`,
  title: `Door opened ${i}`,
  body: 'at 12:00:00',
  priority: 3,
  tags: [],
  at: Date.UTC(2024, 2, 1, 12),
})

describe('AlertSender', () => {
  it('records a delivery that succeeds at once', async () => {
    const { sender, store, urls } = setup(() => 200)
    sender.send('phone', alert(), 'event1')
    await sender.settled()
    expect(urls).toEqual(['http://ntfy.lan/'])
    expect(store.deliveryLog.map((d) => [d.outcome, d.attempt, d.status, d.eventId])).toEqual([['sent', 1, 200, 'event1']])
  })

  it('logs a sent alert at info and a failed one at warn, so a user can follow them', async () => {
    const ok = setup(() => 200)
    ok.sender.send('phone', alert(), 'event1')
    await ok.sender.settled()
    expect(ok.log.lines.filter((l) => l.msg === 'alert sent').map((l) => [l.level, l.obj])).toEqual([
      ['info', { notifierId: 'phone', alertId: 'alert1', title: 'Door opened 1', attempt: 1, status: 200 }],
    ])
    const refused = setup(() => 401)
    refused.sender.send('phone', alert(), 'event1')
    await refused.sender.settled()
    expect(refused.log.lines.find((l) => l.msg === 'alert not delivered')?.level).toBe('warn')
  })

  it('retries a 500 with growing delays until it passes, recording each attempt', async () => {
    const { sender, store, urls, advance, clock } = setup((i) => (i < 2 ? 500 : 200))
    sender.send('phone', alert())
    await sender.settled()
    expect(urls).toHaveLength(1)
    // random 0.5 -> 3/4 of the exponential step: 750 ms, then 1500 ms
    expect(clock.pending).toEqual([750])
    await advance(750)
    expect(clock.pending).toEqual([1500])
    await advance(1500)
    expect(urls).toHaveLength(3)
    expect(store.deliveryLog.map((d) => [d.outcome, d.attempt, d.status, d.retryInMs])).toEqual([
      ['retrying', 1, 500, 750],
      ['retrying', 2, 500, 1500],
      ['sent', 3, 200, undefined],
    ])
    expect(store.deliveryLog[0]!.error).toBe('provider says no')
  })

  it('retries network errors and gives up after the last attempt', async () => {
    const { sender, store, advance } = setup(() => 'network-error')
    sender.send('phone', alert())
    await advance(60_000)
    expect(store.deliveryLog.map((d) => d.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'failed'])
    expect(store.deliveryLog[3]!.error).toContain('fetch failed')
  })

  it('waits as long as a 429 Retry-After asks', async () => {
    const clock = new TestClock()
    const store = new MemoryNotifierStore()
    const spec = notifierSchema.parse({ id: 'phone', type: 'telegram', botToken: 'x', chatId: 1 })
    const limited = (async () =>
      new Response('{"ok":false,"error_code":429}', { status: 429, headers: { 'retry-after': '30' } })) as unknown as typeof fetch
    const sender = new AlertSender({
      fetch: limited,
      now: clock.now,
      scheduler: clock,
      store,
      log: new RecordingLogger(),
      offset: () => 0,
      newId: () => crypto.randomUUID(),
      notifier: async () => spec,
      random: () => 0,
    })
    sender.send('phone', alert())
    await sender.settled()
    expect(clock.pending).toEqual([30_000])
    expect(store.deliveryLog[0]).toMatchObject({ outcome: 'retrying', status: 429, retryInMs: 30_000 })
    sender.close()
  })

  it('does not retry a 401: a wrong token will not heal', async () => {
    const { sender, store, clock } = setup(() => 401)
    sender.send('phone', alert())
    await sender.settled()
    expect(store.deliveryLog.map((d) => [d.outcome, d.status])).toEqual([['failed', 401]])
    expect(clock.pending).toEqual([])
  })

  it('holds alerts over the per-channel limit and sends one summary when the hour has room', async () => {
    const { sender, store, urls, advance } = setup(() => 200, { rateLimit: 3 })
    for (let i = 1; i <= 6; i++) {
      sender.send('phone', alert(i))
      await advance(1000)
    }
    expect(urls).toHaveLength(3)
    expect(store.deliveryLog.filter((d) => d.outcome === 'held').map((d) => d.title)).toEqual(['Door opened 4', 'Door opened 5', 'Door opened 6'])
    await advance(3_600_000)
    const sent = store.deliveryLog.filter((d) => d.outcome === 'sent').map((d) => d.title)
    expect(sent).toEqual(['Door opened 1', 'Door opened 2', 'Door opened 3', '3 alerts held back'])
  })

  it('stops retrying once the notifier is gone', async () => {
    const clock = new TestClock()
    const store = new MemoryNotifierStore()
    let present = true
    const spec = notifierSchema.parse({ id: 'phone', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' })
    const { fetch, urls } = scriptedFetch(() => 503)
    const sender = new AlertSender({
      fetch,
      now: clock.now,
      scheduler: clock,
      store,
      log: new RecordingLogger(),
      offset: () => 0,
      newId: () => crypto.randomUUID(),
      notifier: async () => (present ? spec : undefined),
      random: () => 0,
    })
    sender.send('phone', alert())
    await sender.settled()
    present = false
    await clock.advance(600_000, () => sender.settled())
    expect(urls).toHaveLength(1)
  })

  it('cancels scheduled retries on close', async () => {
    const { sender, clock, urls } = setup(() => 500)
    sender.send('phone', alert())
    await sender.settled()
    sender.close()
    expect(clock.pending).toEqual([])
    await clock.advance(600_000)
    expect(urls).toHaveLength(1)
  })

  it('aborts a request that hangs past the timeout and retries it', async () => {
    const clock = new TestClock()
    const store = new MemoryNotifierStore()
    const spec = notifierSchema.parse({ id: 'phone', type: 'ntfy', server: 'http://ntfy.lan', topic: 'doors' })
    const hang = (async (_: Request, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch
    const sender = new AlertSender({
      fetch: hang,
      now: clock.now,
      scheduler: clock,
      store,
      log: new RecordingLogger(),
      offset: () => 0,
      newId: () => crypto.randomUUID(),
      notifier: async () => spec,
      timeoutMs: 20,
    })
    sender.send('phone', alert())
    await sender.settled()
    expect(store.deliveryLog.map((d) => d.outcome)).toEqual(['retrying'])
    expect(store.deliveryLog[0]!.error).toMatch(/TimeoutError/)
    sender.close()
  })
})
