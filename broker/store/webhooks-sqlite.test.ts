import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { describeWebhookStore, entry, hookRecord } from '../../src/testing/webhook-store-contract.js'
import { openDatabase, type Db } from './db.js'
import { SqliteWebhookStore } from './webhooks-sqlite.js'

const dirs: string[] = []
const dbs: Db[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pb-webhooks-'))
  dirs.push(dir)
  return dir
}

function open(dir: string): SqliteWebhookStore {
  const db = openDatabase(dir)
  dbs.push(db)
  return new SqliteWebhookStore(db)
}

describeWebhookStore('sqlite', () => open(freshDir()))

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
    const [first] = await store.enqueue([entry('a', 1)])
    await store.settle([{ attempt: { webhookId: 'a', messageId: 'msg_1', topicName: 't', attempt: 1, at: 1, durationMs: 1, outcome: 'delivered' }, row: { seq: first!.seq, kind: 'delivered' } }])
    const [second] = await store.enqueue([entry('a', 2)])
    expect(second!.seq).toBeGreaterThan(first!.seq)
  })
})
