import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase, type Db } from '../store/db.js'
import { UpOutbox } from './up-outbox.js'

const dirs: string[] = []
const dbs: Db[] = []
afterEach(() => {
  for (const db of dbs.splice(0)) db.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function open(dir = mkdtempSync(join(tmpdir(), 'postbridge-outbox-'))): { db: Db; dir: string } {
  if (!dirs.includes(dir)) dirs.push(dir)
  const db = openDatabase(dir)
  dbs.push(db)
  return { db, dir }
}

const msg = (payload: string, extra: object = {}) => ({
  topic: 'home/t',
  payload: new TextEncoder().encode(payload),
  qos: 1 as const,
  retain: false,
  ...extra,
})
const payloads = (rows: { message: { payload: Uint8Array } }[]) => rows.map((r) => new TextDecoder().decode(r.message.payload))

describe('the outbox of messages up to the edge (issue 11)', () => {
  it('keeps messages in order, with their properties, until removed, across a reopen of the database', () => {
    const { db, dir } = open()
    const outbox = new UpOutbox(db, 10)
    const a = outbox.append(msg('a', { properties: { userProperties: { 'postbridge-id': 'x1' }, correlationData: new Uint8Array([1, 2]) } }))
    outbox.append(msg('b'))
    outbox.remove(a)
    db.close()
    dbs.splice(dbs.indexOf(db), 1)
    const again = new UpOutbox(open(dir).db, 10)
    expect(payloads(again.after(0, 10))).toEqual(['b'])
  })

  it('drops the oldest beyond its bound and counts them', () => {
    const outbox = new UpOutbox(open().db, 3)
    for (const p of ['1', '2', '3', '4', '5']) outbox.append(msg(p))
    expect(payloads(outbox.after(0, 10))).toEqual(['3', '4', '5'])
    expect(outbox.dropped).toBe(2)
  })

  it('pages after a seq, and replaces unacknowledged retained-state copies on the next connect', () => {
    const outbox = new UpOutbox(open().db, 10)
    const first = outbox.append(msg('live'))
    outbox.append(msg('state', { retain: true }), true)
    expect(payloads(outbox.after(first, 10))).toEqual(['state'])
    expect(outbox.after(first, 10)[0]!.sync).toBe(true)
    outbox.removeSync()
    expect(payloads(outbox.after(0, 10))).toEqual(['live'])
  })
})
