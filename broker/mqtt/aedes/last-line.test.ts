/** An exception inside one connection's handlers closes that connection only (issue 8). */
import { afterEach, describe, expect, it } from 'vitest'
import { RecordingLogger } from '../../../src/testing/recording-logger.js'
import { Harness, StaticUsers, makeUser, nextMessage, waitFor } from '../fixtures/harness.js'
import { stockAedesProcess } from '../fixtures/stock-aedes.js'
import { connect4, packet, rawClient, str } from '../fixtures/raw.js'

const h = new Harness()
afterEach(() => h.cleanup())

/** A logger that fails (as a transport on a full disk might) when told about one client's denied subscription. */
class FailingLogger extends RecordingLogger {
  constructor(private readonly victim: string) {
    super()
  }
  override debug(obj: object, msg?: string) {
    if (msg === 'mqtt subscribe denied' && (obj as { clientId?: string }).clientId === this.victim) throw new Error('log transport failed')
    super.debug(obj, msg)
  }
}

describe('the last line of defence', () => {
  it('is missing from stock aedes: a throw inside authorizeSubscribe ends the whole process (the defect this corrects)', async () => {
    const stock = await stockAedesProcess(h, { options: "{ authorizeSubscribe () { throw new Error('hook failed') } }" })
    const raw = await rawClient(stock.port, (fn) => h.onCleanup(fn))
    raw.send(connect4('victim'))
    await raw.waitBytes(4)
    raw.send(packet(0x82, [0, 1, ...str('t/x'), 0]))
    expect(await stock.exited).not.toBe(0)
    expect(stock.stderr()).toMatch(/hook failed/)
  })

  it('closes only the connection whose hook threw, logs its client id, and keeps serving the others', async () => {
    const log = new FailingLogger('victim')
    const users = new StaticUsers([await makeUser('dev', 'pw', { publish: ['a/#'], subscribe: ['a/#'] })])
    const broker = await h.broker({ users, log })
    const bystander = await h.client(broker.tcpPort, { protocolVersion: 5, clientId: 'bystander', username: 'dev', password: 'pw' })
    await bystander.subscribeAsync('a/ok', { qos: 1 })

    const victim = await h.client(broker.tcpPort, { protocolVersion: 4, clientId: 'victim', username: 'dev', password: 'pw' })
    let victimClosed = false
    victim.on('close', () => (victimClosed = true))
    // Outside the ACL: authorizeSubscribe denies it, and logging the denial throws inside the hook.
    victim.subscribe('b/secret', () => {})
    await waitFor(() => victimClosed, 5000, 'the victim to be closed')

    const line = log.lines.find((l) => l.msg === 'mqtt connection handler threw, connection closed')
    expect(line?.level).toBe('error')
    expect(line?.obj).toMatchObject({ clientId: 'victim', where: 'authorizeSubscribe' })
    expect(String((line?.obj as { err?: string } | undefined)?.err)).toMatch(/log transport failed/)

    // The process and everyone else go on.
    expect(bystander.connected).toBe(true)
    const got = nextMessage(bystander, 'a/ok')
    const publisher = await h.client(broker.tcpPort, { protocolVersion: 4, username: 'dev', password: 'pw' })
    await publisher.publishAsync('a/ok', 'still here', { qos: 1 })
    expect((await got).payload).toBe('still here')
  })
})
