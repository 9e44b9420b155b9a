import { Aedes } from 'aedes'
import { describe, expect, it } from 'vitest'
import { AEDES_VERSION, checkAedesVersion } from './index.js'

describe('the aedes corrections', () => {
  it('were written for the aedes that is installed', async () => {
    const broker = await Aedes.createBroker()
    try {
      expect((broker as unknown as { version: string }).version).toBe(AEDES_VERSION)
    } finally {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    }
  })

  it('refuse to start on another aedes version, naming both', () => {
    expect(() => checkAedesVersion('2.0.0')).toThrow(/aedes 2\.0\.0 is installed, but .* corrects aedes 2\.0\.0-beta\.1/)
    expect(() => checkAedesVersion(AEDES_VERSION)).not.toThrow()
  })
})
