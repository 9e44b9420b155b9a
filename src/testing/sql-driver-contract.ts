/**
 * The contract every SqlDriver adapter passes: describeSqlDriver('name', () => driverOverAFreshDatabase). Results are
 * awaited, so an adapter reached from outside its runtime's context (a Durable Object in tests) may answer with
 * promises; inside a transaction's function the calls are the driver's own, synchronous ones.
 */
import { describe, expect, it } from 'vitest'
import type { SqlDriver } from '../sql.js'

export function describeSqlDriver(name: string, makeDriver: () => Promise<SqlDriver> | SqlDriver): void {
  describe(`SqlDriver contract: ${name}`, () => {
    const table = async () => {
      const sql = await makeDriver()
      const t = `t_${crypto.randomUUID().replace(/-/g, '').slice(0, 8)}`
      await sql.run(`CREATE TABLE ${t} (id TEXT PRIMARY KEY, n INTEGER NOT NULL, label TEXT)`)
      // Indexes make the storage write more entries than rows: the count must still be rows.
      await sql.run(`CREATE INDEX ${t}_n ON ${t} (n)`)
      await sql.run(`CREATE INDEX ${t}_label ON ${t} (label)`)
      return { sql, t }
    }

    it('hands rows back with their values and types', async () => {
      const { sql, t } = await table()
      await sql.run(`INSERT INTO ${t} (id, n, label) VALUES (?, ?, ?), (?, ?, ?)`, 'a', 1, 'x', 'b', 2, null)
      expect(await sql.all(`SELECT id, n, label FROM ${t} ORDER BY id`)).toEqual([
        { id: 'a', n: 1, label: 'x' },
        { id: 'b', n: 2, label: null },
      ])
      expect(await sql.all(`SELECT * FROM ${t} WHERE id = ?`, 'none')).toEqual([])
    })

    it('counts the rows a statement changed, not the index entries it wrote', async () => {
      const { sql, t } = await table()
      expect(await sql.run(`INSERT INTO ${t} (id, n, label) VALUES ('a', 1, 'x'), ('b', 2, 'y'), ('c', 3, 'z')`)).toBe(3)
      expect(await sql.run(`UPDATE ${t} SET n = n + 10, label = 'w' WHERE n >= 2`)).toBe(2)
      expect(await sql.run(`DELETE FROM ${t} WHERE id = ?`, 'a')).toBe(1)
      expect(await sql.run(`DELETE FROM ${t} WHERE id = ?`, 'a')).toBe(0)
      expect(await sql.run(`DELETE FROM ${t}`)).toBe(2)
    })

    it('commits a transaction when its function returns, and hands back its value', async () => {
      const { sql, t } = await table()
      const value = await sql.transaction(() => {
        sql.run(`INSERT INTO ${t} (id, n) VALUES ('a', 1)`)
        sql.run(`INSERT INTO ${t} (id, n) VALUES ('b', 2)`)
        return 'done'
      })
      expect(value).toBe('done')
      expect(await sql.all(`SELECT id FROM ${t} ORDER BY id`)).toEqual([{ id: 'a' }, { id: 'b' }])
    })

    it('rolls the whole transaction back when its function throws, and rethrows', async () => {
      const { sql, t } = await table()
      await sql.run(`INSERT INTO ${t} (id, n) VALUES ('kept', 0)`)
      await expect(
        (async () =>
          sql.transaction(() => {
            sql.run(`INSERT INTO ${t} (id, n) VALUES ('a', 1)`)
            sql.run(`UPDATE ${t} SET n = 9 WHERE id = 'kept'`)
            throw new Error('halfway')
          }))(),
      ).rejects.toThrow('halfway')
      expect(await sql.all(`SELECT id, n FROM ${t}`)).toEqual([{ id: 'kept', n: 0 }])
    })

    it('refuses a statement that breaks a constraint, changing nothing', async () => {
      const { sql, t } = await table()
      await sql.run(`INSERT INTO ${t} (id, n) VALUES ('a', 1)`)
      await expect((async () => sql.run(`INSERT INTO ${t} (id, n) VALUES ('a', 2)`))()).rejects.toThrow()
      expect(await sql.all(`SELECT n FROM ${t}`)).toEqual([{ n: 1 }])
    })
  })
}
