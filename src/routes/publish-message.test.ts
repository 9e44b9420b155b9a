import { describe, expect, it } from 'vitest'
import { type Receipt, receiptJson } from './publish-message.js'

describe('receiptJson', () => {
  it('writes what JSON.stringify writes, whatever the topic holds', () => {
    const receipts: Receipt[] = [
      { id: '2f1c0a3e-8a54-4c1e-9b0e-7d8f6a5b4c3d', topic: 'home/kitchen/light', qos: 1, retain: false, bytes: 64 },
      { id: 'e-1', topic: 'a "quoted"\\path\n\t\u0001/ünïcødé/😀/\ud800', qos: 0, retain: true, bytes: 0 },
      { id: 'q', topic: 'edge/queued', qos: 2, retain: false, bytes: 268_435_455, queued: true },
    ]
    for (const r of receipts) expect(receiptJson(r)).toBe(JSON.stringify(r))
  })
})
