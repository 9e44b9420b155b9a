import { describe, expect, it } from 'vitest'
import { RecordingLogger } from '../../src/testing/recording-logger.js'
import { RefusalLog } from './refusal-log.js'

describe('RefusalLog', () => {
  it('warns once per user and topic a minute, saying how many it left out, and logs every refusal at debug', () => {
    const log = new RecordingLogger()
    const clock = { t: 0 }
    const refusals = new RefusalLog(log, 60_000, () => clock.t)
    for (let i = 0; i < 5; i++) refusals.note('publish', { clientId: 'relay', username: 'relay1', topic: 'home/other' })
    refusals.note('publish', { clientId: 'relay', username: 'relay1', topic: 'home/third' })
    clock.t = 60_000
    refusals.note('publish', { clientId: 'relay', username: 'relay1', topic: 'home/other' })
    const warns = log.lines.filter((l) => l.level === 'warn')
    expect(warns.map((w) => [w.msg, w.obj])).toEqual([
      ['mqtt publish denied', { clientId: 'relay', username: 'relay1', topic: 'home/other' }],
      ['mqtt publish denied', { clientId: 'relay', username: 'relay1', topic: 'home/third' }],
      ['mqtt publish denied', { clientId: 'relay', username: 'relay1', topic: 'home/other', alsoRefusedSinceLastLog: 4 }],
    ])
    expect(log.lines.filter((l) => l.level === 'debug')).toHaveLength(7)
  })

  it('remembers a bounded number of keys, so random topics cannot grow it', () => {
    const log = new RecordingLogger()
    const refusals = new RefusalLog(log, 60_000, () => 0)
    for (let i = 0; i < 5000; i++) refusals.note('subscribe', { clientId: 'c', topic: `t/${i}` })
    expect((refusals as unknown as { last: Map<string, unknown> }).last.size).toBeLessThanOrEqual(1000)
  })
})
