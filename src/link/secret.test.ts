import { describe, expect, it } from 'vitest'
import { edgeSecretMatches } from './secret.js'

describe('edgeSecretMatches', () => {
  it('accepts the secret as text or bytes', async () => {
    expect(await edgeSecretMatches('correct-horse-battery', 'correct-horse-battery')).toBe(true)
    expect(await edgeSecretMatches(new TextEncoder().encode('correct-horse-battery'), 'correct-horse-battery')).toBe(true)
  })
  it('refuses another secret, a prefix of it, nothing, and anything when no secret is set', async () => {
    expect(await edgeSecretMatches('correct-horse-battery!', 'correct-horse-battery')).toBe(false)
    expect(await edgeSecretMatches('correct-horse', 'correct-horse-battery')).toBe(false)
    expect(await edgeSecretMatches(undefined, 'correct-horse-battery')).toBe(false)
    expect(await edgeSecretMatches('', '')).toBe(false)
  })
})
