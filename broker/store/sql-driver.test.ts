import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
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
