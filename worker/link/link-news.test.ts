/**
 * Old news is not news (issue 11): a message carries a stable id across the link (`postbridge-id`), the edge
 * delivers a resend of the same message once, and home's retained state sent on connect only reports what changed.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { LINK_SYNC_PROPERTY } from '../../src/link/protocol.js'
import { MESSAGE_ID_PROPERTY } from '../../src/message-id.js'
import { api, bytes, eventually, linkHome, text } from '../testing/test-home.js'

const freshHub = () => env.LINK_HUB.getByName(crypto.randomUUID())

async function link(hub: DurableObjectStub) {
  return ((await (await api(hub, '/v1/health')).json()) as { link: Record<string, number> }).link
}

const up = (topic: string, payload: string, messageId: number, users: Record<string, string>, retain = false) =>
  ({ cmd: 'publish', topic, payload: bytes(payload), qos: 1, messageId, retain, dup: false, properties: { userProperties: users } }) as const

describe('messages up with a stable id', () => {
  it('acknowledges a resend of a message it has, and delivers it once', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send(up('home/door', 'open', 1, { [MESSAGE_ID_PROPERTY]: 'm-1' }))
    await home.next('puback')
    home.send(up('home/door', 'open', 2, { [MESSAGE_ID_PROPERTY]: 'm-1' }))
    expect((await home.next('puback')).messageId).toBe(2)
    expect(await link(hub)).toMatchObject({ messagesUp: 1, upRepeats: 1 })
    home.close()
  })

  it('remembers the ids across a new link', async () => {
    const hub = freshHub()
    const first = await linkHome(hub)
    first.send(up('home/door', 'open', 1, { [MESSAGE_ID_PROPERTY]: 'm-2' }))
    await first.next('puback')
    first.close()
    await first.closed
    const second = await linkHome(hub)
    second.send(up('home/door', 'open', 1, { [MESSAGE_ID_PROPERTY]: 'm-2' }))
    await second.next('puback')
    expect(await link(hub)).toMatchObject({ messagesUp: 1, upRepeats: 1 })
    second.close()
  })
})

describe('home retained state sent on connect', () => {
  it('updates nothing and reports nothing for a topic whose retained value is unchanged', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send(up('home/door/back/state', 'open', 1, { [MESSAGE_ID_PROPERTY]: 'a' }, true))
    await home.next('puback')
    for (let i = 2; i < 6; i++) {
      home.send(up('home/door/back/state', 'open', i, { [MESSAGE_ID_PROPERTY]: `sync-${i}`, [LINK_SYNC_PROPERTY]: '1' }, true))
      await home.next('puback')
    }
    expect(await link(hub)).toMatchObject({ messagesUp: 1, syncUnchanged: 4 })
    home.close()
  })

  it('reports a topic whose retained value changed while the link was down, and keeps the new value', async () => {
    const hub = freshHub()
    const home = await linkHome(hub)
    home.send(up('home/door/back/state', 'open', 1, { [MESSAGE_ID_PROPERTY]: 'b' }, true))
    await home.next('puback')
    home.send(up('home/door/back/state', 'closed', 2, { [MESSAGE_ID_PROPERTY]: 'sync-b', [LINK_SYNC_PROPERTY]: '1' }, true))
    await home.next('puback')
    expect(await link(hub)).toMatchObject({ messagesUp: 2 })
    const retained = await api(hub, '/v1/retained/home/door/back/state', { headers: { accept: 'application/json' } })
    const envelope = (await retained.json()) as { payload: string; properties?: { userProperties?: Record<string, string> } }
    expect(envelope.payload).toBe('closed')
    // The mark is the link's business, not the message's.
    expect(envelope.properties?.userProperties?.[LINK_SYNC_PROPERTY]).toBeUndefined()
    home.close()
  })
})

describe('messages down with a stable id', () => {
  it('carries the publish id as postbridge-id, the same on a resend after a new link', async () => {
    const hub = freshHub()
    const res = await api(hub, '/v1/publish/home/lamp/set', { method: 'POST', body: 'on' })
    const { id } = (await res.json()) as { id: string }
    const first = await linkHome(hub)
    const p1 = await first.next('publish')
    expect(p1.properties?.userProperties?.[MESSAGE_ID_PROPERTY]).toBe(id)
    first.close()
    await first.closed
    const second = await linkHome(hub)
    const p2 = await second.next('publish')
    expect([text(p2.payload), p2.dup, p2.properties?.userProperties?.[MESSAGE_ID_PROPERTY]]).toEqual(['on', true, id])
    second.send({ cmd: 'puback', messageId: p2.messageId })
    await eventually(async () => expect(await link(hub)).toMatchObject({ queued: 0 }))
    second.close()
  })
})
