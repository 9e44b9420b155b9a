import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { RecordingLogger } from '../../../src/testing/recording-logger.js'
import { Harness, collect, sleep } from '../fixtures/harness.js'
import { openBrokerStore } from '../persistence.js'
import { guardRetainedStreams } from './retained-stream-errors.js'
import { stockAedesProcess } from '../fixtures/stock-aedes.js'
import { connect4, packet, rawClient, str } from '../fixtures/raw.js'

describe('a retained read that fails', () => {
  it('reproduces the defect on stock aedes: a retained read that fails on SUBSCRIBE ends the whole process', async () => {
    const h = new Harness()
    try {
      // The store's retained stream fails as LevelDB's does when the store closes under a subscribe.
      const stock = await stockAedesProcess(h, {
        imports: "import { Readable } from 'node:stream'",
        setup:
          "broker.persistence.createRetainedStreamCombi = () => new Readable({ objectMode: true, read () { this.destroy(new Error('LEVEL_ITERATOR_NOT_OPEN')) } })",
      })
      const raw = await rawClient(stock.port, (fn) => h.onCleanup(fn))
      raw.send(connect4('subscriber'))
      await raw.waitBytes(4)
      raw.send(packet(0x82, [0, 1, ...str('t/x'), 0]))
      expect(await stock.exited).not.toBe(0)
      expect(stock.stderr()).toMatch(/LEVEL_ITERATOR_NOT_OPEN/)
    } finally {
      await h.cleanup()
    }
  })

  it('is logged instead of thrown when the store closed under it, the way aedes pipes it on SUBSCRIBE', async () => {
    const h = new Harness()
    try {
      const store = await openBrokerStore(await h.tempDir())
      for (let i = 0; i < 50; i++) await store.storeRetained({ topic: `r/${i}`, payload: Buffer.from('x'), qos: 0, retain: true })
      const log = new RecordingLogger()
      guardRetainedStreams(store, log)
      const stream = store.createRetainedStreamCombi(['#'])
      // aedes: stream.pipe(through(sendRetained)), with no 'error' listener anywhere.
      stream.pipe(new Writable({ objectMode: true, highWaterMark: 1, write: (_chunk, _enc, cb) => setTimeout(cb, 5) }))
      await sleep(10)
      await store.close()
      await sleep(100)
      expect(log.text()).toMatch(/retained messages could not be read/)
    } finally {
      await h.cleanup()
    }
  })

  it('leaves a readable store alone', async () => {
    const h = new Harness()
    try {
      const broker = await h.broker()
      const pub = await h.client(broker.tcpPort, { protocolVersion: 5 })
      await pub.publishAsync('keep/1', 'kept', { qos: 1, retain: true })
      const sub = await h.client(broker.tcpPort, { protocolVersion: 5 })
      const seen = collect(sub)
      await sub.subscribeAsync('keep/#', { qos: 1 })
      await sleep(200)
      expect(seen.map((m) => m.payload)).toEqual(['kept'])
    } finally {
      await h.cleanup()
    }
  })
})
