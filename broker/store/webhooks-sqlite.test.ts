import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { describeWebhookStore, entry, hookRecord } from '../../src/testing/webhook-store-contract.js'
import { openDatabase, type Db } from './db.js'
import { SqliteWebhookStore } from './webhooks-sqlite.js'

const dirs: string[] = []
const dbs: Db[] = []
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const db of dbs.splice(0)) db.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pb-webhooks-'))
  dirs.push(dir)
  return dir
}

const stores: SqliteWebhookStore[] = []

function open(dir: string, options: ConstructorParameters<typeof SqliteWebhookStore>[1] = {}): SqliteWebhookStore {
  const db = openDatabase(dir)
  dbs.push(db)
  const store = new SqliteWebhookStore(db, options)
  stores.push(store)
  return store
}

describeWebhookStore('sqlite', () => open(freshDir()))
describeWebhookStore('sqlite, fsync on every commit', () => open(freshDir(), { syncIntervalMs: 0 }))

describe('SqliteWebhookStore durability', () => {
  it('has the outbox row committed when enqueue returns, before its promise is awaited', async () => {
    const dir = freshDir()
    const store = open(dir)
    await store.putWebhook(hookRecord('a'))
    const pending = store.enqueue([entry('a', 1)])
    // A second connection sees only committed data.
    const other = open(dir)
    expect((await other.pending('a', 0, 10)).map((e) => e.messageId)).toEqual(['msg_1'])
    await pending
  })

  it('never reuses a seq after the newest row is deleted', async () => {
    const store = open(freshDir())
    await store.putWebhook(hookRecord('a'))
    const [first] = (await store.enqueue([entry('a', 1)])).entries
    await store.settle([
      {
        attempt: { webhookId: 'a', messageId: 'msg_1', topicName: 't', attempt: 1, at: 1, durationMs: 1, outcome: 'delivered' },
        row: { seq: first!.seq, kind: 'delivered' },
      },
    ])
    const [second] = (await store.enqueue([entry('a', 2)])).entries
    expect(second!.seq).toBeGreaterThan(first!.seq)
  })

  it('fsyncs the WAL in the background after writes, and not when nothing was written', async () => {
    const synced: number[] = []
    const store = open(freshDir(), { syncIntervalMs: 60_000, fsync: (fd, done) => (synced.push(fd), done(null)) })
    await store.sync()
    expect(synced).toEqual([])
    await store.putWebhook(hookRecord('a'))
    await store.enqueue([entry('a', 1)])
    await store.sync()
    expect(synced).toHaveLength(1)
    await store.sync()
    expect(synced).toHaveLength(1)
  })

  it('fsyncs the WAL after the attempts log is pruned, as after every other write', async () => {
    const synced: number[] = []
    const store = open(freshDir(), { syncIntervalMs: 60_000, fsync: (fd, done) => (synced.push(fd), done(null)) })
    await store.putWebhook(hookRecord('a'))
    await store.settle([{ attempt: { webhookId: 'a', messageId: 'm', topicName: 't', attempt: 1, at: 1, durationMs: 1, outcome: 'retry' } }])
    await store.sync()
    expect(synced).toHaveLength(1)
    await store.prune(0)
    await store.sync()
    expect(synced).toHaveLength(2)
  })

  it('keeps the shared connection at synchronous=FULL for the other stores', async () => {
    const db = openDatabase(freshDir())
    dbs.push(db)
    stores.push(new SqliteWebhookStore(db))
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
  })

  it('opens an outbox written before bodies were shared, and delivers its rows with their own bodies', async () => {
    const dir = freshDir()
    const db = openDatabase(dir)
    dbs.push(db)
    db.exec(`CREATE TABLE webhook_outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, message_id TEXT NOT NULL, topic TEXT NOT NULL,
      body TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending')`)
    db.prepare(`INSERT INTO webhook_outbox (webhook_id, message_id, topic, body, created_at) VALUES ('a', 'old', 't', '{"old":true}', 1)`).run()
    const store = new SqliteWebhookStore(db, { syncIntervalMs: 0 })
    stores.push(store)
    await store.putWebhook(hookRecord('a'))
    await store.enqueue([entry('a', 1)], { maxBytesPerHook: 1_000_000 })
    expect((await store.pending('a', 0, 10)).map((e) => e.body)).toEqual(['{"old":true}', '{"n":1}'])
  })
})
