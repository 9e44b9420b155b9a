import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { describeSqlDriver } from '../../src/testing/sql-driver-contract.js'
import { describeTokenStore } from '../../src/testing/token-store-contract.js'
import { openDatabase, type Db } from './db.js'
import { betterSqliteDriver } from './sql-driver.js'
import { SqliteTokenStore } from './tokens-sqlite.js'

const open: { db: Db; dir: string }[] = []
afterEach(() => {
  for (const { db, dir } of open.splice(0)) {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

/** A fresh SQLite file, as the home node opens it (WAL, synchronous=FULL). */
function freshDb(): Db {
  const dir = mkdtempSync(join(tmpdir(), 'pb-sql-'))
  const db = openDatabase(dir)
  open.push({ db, dir })
  return db
}

describeSqlDriver('better-sqlite3', () => betterSqliteDriver(freshDb()))
describeTokenStore('better-sqlite3', () => new SqliteTokenStore(freshDb()))

describe('better-sqlite3 driver', () => {
  it('keeps statements prepared within a bound, and still runs every statement past it', () => {
    const sql = betterSqliteDriver(freshDb())
    sql.run('CREATE TABLE t (n INTEGER)')
    // Each distinct text is its own prepared statement; 1,000 of them pass the bound several times over.
    for (let i = 0; i < 1000; i++) expect(sql.run(`INSERT INTO t (n) VALUES (${i})`)).toBe(1)
    expect(sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM t')[0]!.n).toBe(1000)
    // A statement run again after the table changed is prepared anew by SQLite, not served stale.
    expect(sql.all('SELECT * FROM t LIMIT 1')[0]).toEqual({ n: 0 })
    sql.run('ALTER TABLE t ADD COLUMN m INTEGER NOT NULL DEFAULT 7')
    expect(sql.all<{ m: number }>('SELECT * FROM t LIMIT 1')[0]).toEqual({ n: 0, m: 7 })
  })
})
