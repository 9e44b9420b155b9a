import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from './password.js'

describe('password hashes', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse', 1000)
    expect(stored).toMatch(/^pbkdf2-sha256\$1000\$/)
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword('correct horsE', stored)).toBe(false)
  })
  it('salts: the same password hashes differently each time', async () => {
    expect(await hashPassword('x', 1000)).not.toBe(await hashPassword('x', 1000))
  })
  it('refuses malformed stored hashes instead of throwing', async () => {
    for (const bad of ['', 'plain', 'pbkdf2-sha256$x$y$z', 'md5$1$aa$bb']) expect(await verifyPassword('x', bad)).toBe(false)
  })
})
