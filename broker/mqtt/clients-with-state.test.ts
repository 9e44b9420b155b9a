import { describe, expect, it } from 'vitest'
import { ClientsWithState } from './clients-with-state.js'

describe('ClientsWithState', () => {
  it('knows the ids it was opened with and those marked since', () => {
    const clients = new ClientsWithState(['at-open'])
    clients.add('written')
    expect(clients.has('at-open')).toBe(true)
    expect(clients.has('written')).toBe(true)
    expect(clients.has('never')).toBe(false)
    expect(clients.size).toBe(2)
  })

  it('forgets a client once a clear of it completed with nothing written since it began', () => {
    const clients = new ClientsWithState(['dev'])
    const mark = clients.markOf('dev')
    clients.cleared('dev', mark)
    expect(clients.has('dev')).toBe(false)
    expect(clients.size).toBe(0)
  })

  it('keeps a client written for while its clear ran: that write is not cleared', () => {
    const clients = new ClientsWithState(['dev'])
    const mark = clients.markOf('dev')
    clients.add('dev') // e.g. a new subscription while the old session's keys were being deleted
    clients.cleared('dev', mark)
    expect(clients.has('dev')).toBe(true)
  })

  it('keeps a client marked again after a clear that began before it was known', () => {
    const clients = new ClientsWithState()
    const mark = clients.markOf('dev') // nothing known: undefined
    clients.add('dev')
    clients.cleared('dev', mark)
    expect(clients.has('dev')).toBe(true)
  })
})
