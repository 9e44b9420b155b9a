/** The contract every WebhookStore adapter passes: describeWebhookStore(() => new MyStore()). */
import { describe, expect, it } from 'vitest'
import type { AttemptRecord, NewOutboxEntry, WebhookRecord, WebhookStore } from '../webhooks/ports.js'

export function hookRecord(id: string, over: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id,
    topicFilter: 'home/#',
    url: 'https://example.com/hook',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    headers: {},
    enabled: true,
    source: 'api',
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  }
}

export function entry(webhookId: string, n: number): NewOutboxEntry {
  return { webhookId, messageId: `msg_${n}`, topicName: `home/t/${n}`, body: `{"n":${n}}`, createdAt: 5000 + n }
}

export function attemptRecord(webhookId: string, messageId: string, over: Partial<AttemptRecord> = {}): AttemptRecord {
  return { webhookId, messageId, topicName: 'home/t', attempt: 1, at: 6000, durationMs: 3, status: 200, outcome: 'delivered', ...over }
}

export function describeWebhookStore(name: string, makeStore: () => Promise<WebhookStore> | WebhookStore): void {
  describe(`WebhookStore contract: ${name}`, () => {
    it('stores, replaces, lists and deletes webhooks with every field', async () => {
      const store = await makeStore()
      const full = hookRecord('wh_a', { headers: { Authorization: 'Bearer x' }, createdBy: 'tok1', disabledReason: 'gone', enabled: false })
      await store.putWebhook(full)
      await store.putWebhook(hookRecord('cfg', { source: 'config', createdAt: 2000 }))
      expect(await store.getWebhook('wh_a')).toEqual(full)
      await store.putWebhook({ ...full, url: 'https://example.com/other', enabled: true, disabledReason: undefined } as WebhookRecord)
      const replaced = await store.getWebhook('wh_a')
      expect(replaced?.url).toBe('https://example.com/other')
      expect(replaced?.disabledReason).toBeUndefined()
      expect((await store.listWebhooks()).map((h) => h.id).sort()).toEqual(['cfg', 'wh_a'])
      expect(await store.deleteWebhook('wh_a')).toBe(true)
      expect(await store.deleteWebhook('wh_a')).toBe(false)
      expect(await store.getWebhook('wh_a')).toBeUndefined()
    })

    it('enqueues in one call with increasing seqs in the order given, and drops rows of unknown webhooks', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      const out = (await store.enqueue([entry('a', 1), entry('b', 1), entry('ghost', 1), entry('a', 2)])).entries
      expect(out.map((e) => [e.webhookId, e.messageId])).toEqual([
        ['a', 'msg_1'],
        ['b', 'msg_1'],
        ['a', 'msg_2'],
      ])
      expect(out[0]).toMatchObject({ ...entry('a', 1), attempts: 0, nextAttemptAt: 0, state: 'pending' })
      const seqs = out.map((e) => e.seq)
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs)
      expect(new Set(seqs).size).toBe(3)
      const later = (await store.enqueue([entry('a', 3)])).entries
      expect(later[0]!.seq).toBeGreaterThan(seqs[2]!)
    })

    it('lists pending rows of one webhook after a seq, oldest first, up to a limit', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      const out = (await store.enqueue([entry('a', 1), entry('b', 1), entry('a', 2), entry('a', 3), entry('a', 4)])).entries
      const all = await store.pending('a', 0, 100)
      expect(all.map((e) => e.messageId)).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4'])
      expect((await store.pending('a', out[2]!.seq, 2)).map((e) => e.messageId)).toEqual(['msg_3', 'msg_4'])
      expect((await store.pending('a', 0, 2)).map((e) => e.messageId)).toEqual(['msg_1', 'msg_2'])
    })

    it('lists only the pending rows whose bodies fit in maxBytes, and the first one whatever its size', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      const sized = (n: number, bytes: number) => ({ ...entry('a', n), body: `"${'é'.repeat((bytes - 2) / 2)}"` })
      const out = (await store.enqueue([sized(1, 100), sized(2, 100), sized(3, 100), sized(4, 500)])).entries
      const ids = (rows: { messageId: string }[]) => rows.map((e) => e.messageId)
      expect(ids(await store.pending('a', 0, 10, 300))).toEqual(['msg_1', 'msg_2', 'msg_3'])
      expect(ids(await store.pending('a', 0, 10, 299))).toEqual(['msg_1', 'msg_2'])
      expect(ids(await store.pending('a', 0, 2, 300))).toEqual(['msg_1', 'msg_2'])
      expect(ids(await store.pending('a', out[2]!.seq, 10, 100))).toEqual(['msg_4'])
      expect(ids(await store.pending('a', 0, 10))).toEqual(['msg_1', 'msg_2', 'msg_3', 'msg_4'])
    })

    it('settles rows: delivered removes, retry reschedules, dead leaves pending; attempts are logged', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      const [r1, r2, r3] = (await store.enqueue([entry('a', 1), entry('a', 2), entry('a', 3)])).entries
      await store.settle([
        { attempt: attemptRecord('a', 'msg_1'), row: { seq: r1!.seq, kind: 'delivered' } },
        {
          attempt: attemptRecord('a', 'msg_2', { status: 500, outcome: 'retry' }),
          row: { seq: r2!.seq, kind: 'retry', attempts: 1, nextAttemptAt: 9000 },
        },
        {
          attempt: attemptRecord('a', 'msg_3', { error: 'ECONNREFUSED', outcome: 'dead', attempt: 8 }),
          row: { seq: r3!.seq, kind: 'dead', attempts: 8 },
        },
      ])
      const pending = await store.pending('a', 0, 10)
      expect(pending).toEqual([{ ...r2, attempts: 1, nextAttemptAt: 9000 }])
      expect(await store.counts('a')).toEqual({ pending: 1, dead: 1 })
      const log = await store.attempts('a', { limit: 10 })
      expect(log.map((a) => a.messageId)).toEqual(['msg_3', 'msg_2', 'msg_1'])
      expect(log[0]).toEqual(attemptRecord('a', 'msg_3', { error: 'ECONNREFUSED', outcome: 'dead', attempt: 8 }))
    })

    it('applies settlements in order and skips rows and hooks that are gone', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      const [r1] = (await store.enqueue([entry('a', 1)])).entries
      await store.settle([
        {
          attempt: attemptRecord('a', 'msg_1', { outcome: 'retry', status: 503 }),
          row: { seq: r1!.seq, kind: 'retry', attempts: 1, nextAttemptAt: 7000 },
        },
        { attempt: attemptRecord('a', 'msg_1', { attempt: 2 }), row: { seq: r1!.seq, kind: 'delivered' } },
        { attempt: attemptRecord('a', 'msg_1', { attempt: 3 }), row: { seq: 999_999, kind: 'delivered' } },
        { attempt: attemptRecord('deleted', 'msg_9'), row: { seq: 888_888, kind: 'dead', attempts: 1 } },
        { attempt: attemptRecord('a', 'msg_test', { outcome: 'test' }) },
      ])
      expect(await store.pending('a', 0, 10)).toEqual([])
      expect((await store.attempts('a', { limit: 10 })).map((a) => a.attempt)).toEqual([1, 3, 2, 1])
      expect(await store.attempts('deleted', { limit: 10 })).toEqual([])
    })

    it('lists attempts newest first, limited and filtered by outcome', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.settle([
        { attempt: attemptRecord('a', 'm1', { outcome: 'retry', at: 1 }) },
        { attempt: attemptRecord('a', 'm2', { outcome: 'dead', at: 2 }) },
        { attempt: attemptRecord('a', 'm3', { outcome: 'delivered', at: 3 }) },
        { attempt: attemptRecord('a', 'm4', { outcome: 'dead', at: 4 }) },
      ])
      expect((await store.attempts('a', { limit: 2 })).map((a) => a.messageId)).toEqual(['m4', 'm3'])
      expect((await store.attempts('a', { limit: 10, outcome: 'dead' })).map((a) => a.messageId)).toEqual(['m4', 'm2'])
    })

    it('requeues dead rows with a fresh budget and makes waiting retries due now', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      const [r1, r2, r3, other] = (await store.enqueue([entry('a', 1), entry('a', 2), entry('a', 3), entry('b', 1)])).entries
      await store.settle([
        { attempt: attemptRecord('a', 'msg_1', { outcome: 'dead' }), row: { seq: r1!.seq, kind: 'dead', attempts: 8 } },
        { attempt: attemptRecord('a', 'msg_2', { outcome: 'retry' }), row: { seq: r2!.seq, kind: 'retry', attempts: 3, nextAttemptAt: 99_000 } },
        { attempt: attemptRecord('b', 'msg_1', { outcome: 'dead' }), row: { seq: other!.seq, kind: 'dead', attempts: 8 } },
      ])
      expect(await store.requeue('a', 50_000)).toBe(1)
      const pending = await store.pending('a', 0, 10)
      expect(pending.map((e) => [e.messageId, e.attempts, e.nextAttemptAt])).toEqual([
        ['msg_1', 0, 50_000],
        ['msg_2', 3, 50_000],
        ['msg_3', 0, 0],
      ])
      expect(r3).toBeDefined()
      expect(await store.counts('b')).toEqual({ pending: 0, dead: 1 })
    })

    it('deletes a webhook with its outbox and attempts', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.enqueue([entry('a', 1)])
      await store.settle([{ attempt: attemptRecord('a', 'msg_0') }])
      await store.deleteWebhook('a')
      await store.putWebhook(hookRecord('a'))
      expect(await store.pending('a', 0, 10)).toEqual([])
      expect(await store.attempts('a', { limit: 10 })).toEqual([])
      expect(await store.counts('a')).toEqual({ pending: 0, dead: 0 })
    })

    it('prunes attempts to the newest per webhook', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      await store.settle([1, 2, 3, 4].map((n) => ({ attempt: attemptRecord('a', `m${n}`, { at: n }) })))
      await store.settle([{ attempt: attemptRecord('b', 'only') }])
      await store.prune(2)
      expect((await store.attempts('a', { limit: 10 })).map((a) => a.messageId)).toEqual(['m4', 'm3'])
      expect((await store.attempts('b', { limit: 10 })).map((a) => a.messageId)).toEqual(['only'])
    })

    it('stores one copy of a message body shared by the hooks it matched, and drops it with the last row (issue 10)', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      const big = { ...entry('a', 1), body: `{"payload":"${'x'.repeat(10_000)}"}` }
      const { entries } = await store.enqueue([big, { ...big, webhookId: 'b' }])
      expect(await store.storedBodyCount()).toBe(1)
      expect((await store.pending('b', 0, 10))[0]!.body).toBe(big.body)
      await store.settle([{ attempt: attemptRecord('a', 'msg_1'), row: { seq: entries[0]!.seq, kind: 'delivered' } }])
      expect(await store.storedBodyCount()).toBe(1)
      expect((await store.pending('b', 0, 10))[0]!.body).toBe(big.body)
      await store.settle([{ attempt: attemptRecord('b', 'msg_1'), row: { seq: entries[1]!.seq, kind: 'delivered' } }])
      expect(await store.storedBodyCount()).toBe(0)
    })

    it('keeps a hook outbox within maxBytesPerHook: the oldest pending go to dead, the oldest dead are deleted (issue 10)', async () => {
      const store = await makeStore()
      await store.putWebhook(hookRecord('a'))
      await store.putWebhook(hookRecord('b'))
      const sized = (hook: string, n: number) => ({ ...entry(hook, n), body: `{"n":${n},"pad":"${'p'.repeat(980)}"}` }) // about 1 KB
      const seqs: number[] = []
      const evicted: { webhookId: string; seq: number }[] = []
      for (let n = 1; n <= 3; n++) {
        const out = await store.enqueue([sized('a', n)], { maxBytesPerHook: 2500, now: 9000 })
        seqs.push(out.entries[0]!.seq)
        evicted.push(...out.evicted)
      }
      // 3 KB pending: the oldest goes to dead.
      expect(evicted).toEqual([{ webhookId: 'a', seq: seqs[0] }])
      const fourth = await store.enqueue([sized('a', 4), sized('b', 4)], { maxBytesPerHook: 2500, now: 9000 })
      expect(fourth.evicted).toEqual([{ webhookId: 'a', seq: seqs[1] }])
      expect((await store.pending('a', 0, 10)).map((e) => e.messageId)).toEqual(['msg_3', 'msg_4'])
      expect(await store.counts('a')).toEqual({ pending: 2, dead: 2 })
      expect(await store.counts('b')).toEqual({ pending: 1, dead: 0 })
      const dead = await store.attempts('a', { limit: 10, outcome: 'dead' })
      expect(dead.map((d) => d.messageId).sort()).toEqual(['msg_1', 'msg_2'])
      expect(dead[0]!.error).toMatch(/outbox over 2500 bytes/)
      // Two more: two more go to dead, which passes the cap too, so the oldest dead are deleted.
      await store.enqueue([sized('a', 5)], { maxBytesPerHook: 2500, now: 9000 })
      await store.enqueue([sized('a', 6)], { maxBytesPerHook: 2500, now: 9000 })
      expect((await store.pending('a', 0, 10)).map((e) => e.messageId)).toEqual(['msg_5', 'msg_6'])
      expect(await store.counts('a')).toEqual({ pending: 2, dead: 2 })
      expect(await store.requeue('a', 9500)).toBe(2)
      expect((await store.pending('a', 0, 10)).map((e) => e.messageId)).toEqual(['msg_3', 'msg_4', 'msg_5', 'msg_6'])
    })
  })
}
