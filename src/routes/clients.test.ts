import { describe, expect, it } from 'vitest'
import type { ClientDirectory, ClientInfo } from '../ports/clients.js'
import { createTestApp } from '../testing/test-app.js'

/** A directory over a fixed list that records disconnects. */
class FakeClients implements ClientDirectory {
  disconnected: string[] = []
  constructor(public clients: ClientInfo[]) {}
  list(): ClientInfo[] {
    return this.clients.map((c) => ({ ...c }))
  }
  async disconnect(clientId: string): Promise<boolean> {
    const before = this.clients.length
    this.clients = this.clients.filter((c) => c.clientId !== clientId)
    if (this.clients.length === before) return false
    this.disconnected.push(clientId)
    return true
  }
}

const door: ClientInfo = {
  clientId: 'door',
  username: 'door',
  address: '10.0.0.5:5000',
  protocolVersion: 5,
  connectedAt: Date.UTC(2026, 0, 1),
  keepAliveSeconds: 60,
  subscriptions: 2,
  transport: 'tcp',
}
const anon: ClientInfo = { clientId: 'anon-1', subscriptions: 0 }

describe('/v1/clients', () => {
  it('lists connected clients by client id with since as an ISO time and keep alive in seconds', async () => {
    const t = await createTestApp({ clients: new FakeClients([door, anon]) })
    const res = await t.call('/v1/clients')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      clients: [
        { clientId: 'anon-1', subscriptions: 0 },
        {
          clientId: 'door',
          username: 'door',
          address: '10.0.0.5:5000',
          protocolVersion: 5,
          since: '2026-01-01T00:00:00.000Z',
          keepAlive: 60,
          subscriptions: 2,
          transport: 'tcp',
        },
      ],
    })
  })
  it('disconnects a client by id and answers 404 for one not connected', async () => {
    const fake = new FakeClients([door])
    const t = await createTestApp({ clients: fake })
    expect((await t.call('/v1/clients/door', { method: 'DELETE' })).status).toBe(204)
    expect(fake.disconnected).toEqual(['door'])
    const again = await t.call('/v1/clients/door', { method: 'DELETE' })
    expect(again.status).toBe(404)
    expect(again.headers.get('content-type')).toBe('application/problem+json')
  })
  it('is for admins only: a read-all token can neither list nor disconnect', async () => {
    const fake = new FakeClients([door])
    const t = await createTestApp({ clients: fake })
    const token = await t.mint({ publish: ['#'], read: ['#'] })
    expect((await t.call('/v1/clients', { token })).status).toBe(403)
    expect((await t.call('/v1/clients/door', { method: 'DELETE', token })).status).toBe(403)
    expect(fake.disconnected).toEqual([])
  })
  it('answers 501 where the runtime keeps no client list', async () => {
    const t = await createTestApp()
    expect((await t.call('/v1/clients')).status).toBe(501)
    expect((await t.call('/v1/clients/x', { method: 'DELETE' })).status).toBe(501)
  })
})
